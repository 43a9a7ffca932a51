import type { TraceEventV1, TraceSink } from "../trace/mod.ts";

/** Which redaction rules fired, and where (never the values). */
export interface RedactionHit {
  /** Rule id. */
  ruleId: string;
  /** JSON pointer. */
  pointer: string;
}

/** Redacts a value before it is written to a trace. */
export type RedactFn = (value: unknown) => { value: unknown; fired: RedactionHit[] };

/** Options for {@link TraceRecorder}. */
export interface TraceRecorderOptions {
  /** Session id (one per proxy process): stamped on every event and the prefix of every decision id. */
  sessionId: string;
  /** The server's name in the policy. */
  server: string;
  /** record or enforce. */
  mode: TraceEventV1["mode"];
  /** Where trace events go. */
  trace: TraceSink;
  /** Redacts arguments and texts before they are written. */
  redact: RedactFn;
  /** Wall clock (trace times); default `Date.now()`, formatted once per millisecond. */
  clock?: () => Date;
}

/** Characters of a result text kept in `result.summary` (with `traceResults`). */
export const SUMMARY_CHARS = 200;
/** Characters of a traced argument string; the rest is replaced by a marker that counts them. */
export const ARG_STRING_CHARS = 4096;
/**
 * Characters kept past a cut until redaction has run, so a secret that straddles the cut is still seen whole:
 * longer than any secret the built-in rules match (tokens are tens to hundreds of characters; a PEM block cut
 * short still matches to the end of the text). Only what the trace keeps plus this margin is redacted, not
 * 64 KiB past every cut (#20).
 */
export const REDACT_MARGIN = 4096;
const CLIP_DEPTH = 64;
const MORE_REGEXP = /…‹(\d+) more characters›$/;

/**
 * The trace half of the proxy: builds events (time, session, server, mode), numbers decisions, and queues
 * events until they are redacted, clipped and written. It knows nothing of JSON-RPC: the router fills the
 * events' fields.
 */
export class TraceRecorder {
  readonly #o: TraceRecorderOptions;
  #queue: TraceEventV1[] = [];
  #scheduled = false;
  #decisionSeq = 0;
  #isoMs = NaN;
  #iso = "";

  /** @param opts see {@link TraceRecorderOptions} */
  constructor(opts: TraceRecorderOptions) {
    this.#o = opts;
  }

  /**
   * A new event of this kind, stamped with the time, session, server and mode.
   * @param kind the event kind
   * @returns the event (not queued yet: see {@link emit})
   */
  event(kind: TraceEventV1["kind"]): TraceEventV1 {
    return {
      v: 1,
      kind,
      time: this.#now(),
      sessionId: this.#o.sessionId,
      server: this.#o.server,
      mode: this.#o.mode,
    };
  }

  /** @returns the next decision id of this session (`<session>-<n>`) */
  nextDecisionId(): string {
    return `${this.#o.sessionId}-${++this.#decisionSeq}`;
  }

  /**
   * Queues a trace event. The queue is redacted and written before any message leaves the proxy (the
   * transport calls `flush()` before each write) and, for events that send nothing, at the end of the
   * current turn: so every message's line is in the file before the message is passed on. Until then the
   * event may hold raw values and must not be written anywhere else.
   * @param ev the event
   */
  emit(ev: TraceEventV1): void {
    this.#queue.push(ev);
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** Redacts and writes every queued event now, as whole lines in one write. */
  flush(): void {
    this.#scheduled = false;
    if (this.#queue.length === 0) return;
    const q = this.#queue;
    this.#queue = [];
    for (const ev of q) this.#o.trace.write(this.#redactEvent(ev));
    this.#o.trace.flush?.();
  }

  /**
   * Queues a `malformed` event (a message that was refused, never forwarded).
   * @param direction who sent it
   * @param detail what was wrong (redacted when written)
   */
  malformed(direction: "client" | "server", detail: string): void {
    const ev = this.event("malformed");
    ev.direction = direction;
    ev.detail = detail;
    ev.forwarded = false;
    this.emit(ev);
  }

  /**
   * Queues a `lifecycle` event (proxy start, client EOF, signals).
   * @param detail what happened
   */
  lifecycle(detail: string): void {
    const ev = this.event("lifecycle");
    ev.detail = detail;
    this.emit(ev);
  }

  /**
   * The start of a result text for `result.summary`: cut to SUMMARY_CHARS plus the redaction margin here,
   * and to SUMMARY_CHARS only after redaction.
   * @param text the result's first text
   * @returns what is kept until the event is written
   */
  summary(text: string): string {
    return text.length > SUMMARY_CHARS + REDACT_MARGIN ? text.slice(0, SUMMARY_CHARS + REDACT_MARGIN) : text;
  }

  /** The trace time: formatted once per millisecond (several events share one; formatting costs 0.5 µs). */
  #now(): string {
    if (this.#o.clock) return this.#o.clock().toISOString();
    const ms = Date.now();
    if (ms !== this.#isoMs) {
      this.#isoMs = ms;
      this.#iso = new Date(ms).toISOString();
    }
    return this.#iso;
  }

  #redactEvent(ev: TraceEventV1): TraceEventV1 {
    // Cut long strings before redacting (a 10 MB value is not scanned whole on the message's path), but keep
    // REDACT_MARGIN characters past the cut so a secret that straddles it is still seen whole.
    const redact = (v: unknown, pointerPrefix: string) => {
      const r = this.#o.redact(clip(v, 0, ARG_STRING_CHARS + REDACT_MARGIN));
      for (const f of r.fired) (ev.redactions ??= []).push({ ...f, pointer: pointerPrefix + f.pointer });
      return clip(r.value, 0, ARG_STRING_CHARS);
    };
    if (ev.arguments !== undefined) ev.arguments = redact(ev.arguments, "");
    // Every other text that came from the client or the server: paths and URLs found in the arguments, the
    // decision's reason (which quotes them), result summaries, details (a server's garbage line), names, ids.
    // The fields the trace is joined on (session, decision id) and the proxy's own words stay as they are.
    const text = (t: string, pointer: string) => this.#redactText(t, pointer, ev, ARG_STRING_CHARS);
    if (ev.tool !== undefined) ev.tool = text(ev.tool, "#/tool");
    if (ev.method !== undefined) ev.method = text(ev.method, "#/method");
    if (typeof ev.id === "string") ev.id = text(ev.id, "#/id");
    if (ev.paths) ev.paths = ev.paths.map((p, i) => text(p, `#/paths/${i}`));
    if (ev.urls) ev.urls = ev.urls.map((u, i) => text(u, `#/urls/${i}`));
    if (ev.detail !== undefined) ev.detail = text(ev.detail, "#/detail");
    if (ev.decision) ev.decision = { ...ev.decision, reason: text(ev.decision.reason, "#/reason") };
    if (ev.result?.summary !== undefined) {
      // Only the 200 characters kept (and the margin past them) are redacted, not 4 KiB of result text.
      const t = this.#redactText(ev.result.summary, "#/summary", ev, SUMMARY_CHARS);
      ev.result.summary = t.length > SUMMARY_CHARS ? t.slice(0, SUMMARY_CHARS) + "…" : t;
    }
    // The denial quotes what the server was refused (a path, a host), taken from the result text.
    if (ev.result?.containment !== undefined) {
      ev.result.containment = text(ev.result.containment, "#/containment");
    }
    if (ev.approval?.detail !== undefined) {
      ev.approval = { ...ev.approval, detail: text(ev.approval.detail, "#/approval") };
    }
    if (ev.tools) ev.tools = ev.tools.map((t, i) => ({ ...t, name: text(t.name, `#/tools/${i}`) }));
    return ev;
  }

  /**
   * One text redacted and cut like an argument string (the redactor remembers short ones: see buildRedactFn).
   * @param keep how many characters the trace keeps: the text is redacted up to that plus REDACT_MARGIN
   */
  #redactText(t: string, pointer: string, ev: TraceEventV1, keep: number): string {
    const cut = t.length > keep + REDACT_MARGIN ? t.slice(0, keep + REDACT_MARGIN) : t;
    const r = this.#o.redact(cut);
    for (const f of r.fired) (ev.redactions ??= []).push({ ruleId: f.ruleId, pointer });
    const value = typeof r.value === "string" ? r.value : "‹redacted›";
    return clip(
      t.length > cut.length ? value + `…‹${t.length - cut.length} more characters›` : value,
      0,
      ARG_STRING_CHARS,
    ) as string;
  }
}

/**
 * Shortens long strings in traced arguments: a trace is a log, not a copy of the data. The marker counts the
 * characters dropped past ARG_STRING_CHARS in the original string, also when a string is clipped twice
 * (before redaction with a margin, then after). A value with nothing to shorten is returned as it is (most
 * arguments: no copy), else a copy (the input is never changed).
 */
function clip(v: unknown, depth: number, max: number): unknown {
  return fits(v, depth, max) ? v : clipCopy(v, depth, max);
}

/** Whether {@link clip} would leave a value as it is: no string over `max`, nothing nested too deeply. */
function fits(v: unknown, depth: number, max: number): boolean {
  if (typeof v === "string") return v.length <= max;
  if (v === null || typeof v !== "object") return true;
  if (depth > CLIP_DEPTH) return false;
  if (Array.isArray(v)) {
    for (const x of v) if (!fits(x, depth + 1, max)) return false;
    return true;
  }
  for (const k in v) {
    if (Object.hasOwn(v, k) && !fits((v as Record<string, unknown>)[k], depth + 1, max)) return false;
  }
  return true;
}

function clipCopy(v: unknown, depth: number, max: number): unknown {
  if (typeof v === "string") {
    if (v.length <= max) return v;
    const earlier = MORE_REGEXP.exec(v);
    const body = earlier ? v.slice(0, v.length - earlier[0].length) : v;
    if (body.length <= max) return v;
    const dropped = body.length - max + (earlier ? Number(earlier[1]) : 0);
    return `${body.slice(0, max)}…‹${dropped} more characters›`;
  }
  if (v === null || typeof v !== "object") return v;
  // Deeper than any real argument: the rest is left out of the trace rather than copied whole.
  if (depth > CLIP_DEPTH) return "‹nested too deeply›";
  if (Array.isArray(v)) return v.map((x) => clipCopy(x, depth + 1, max));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    // A JSON "__proto__" key is an own property; plain assignment would set the prototype instead.
    Object.defineProperty(out, k, {
      value: clipCopy(x, depth + 1, max),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
