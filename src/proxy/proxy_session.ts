import canonicalize from "canonicalize";
import { createHash } from "node:crypto";
import { bareCall, type CanonicalCall, canonicalizeCall, hostRealpath } from "../canonical/mod.ts";
import { decide, type Decision, JUDGED_METHODS, PASSTHROUGH_METHODS } from "../decision/mod.ts";
import type { CompiledPolicy } from "../policy/mod.ts";
import type { TraceEventV1, TraceSink } from "../trace/mod.ts";
import { hashCanonical, RESULT_HASH_HEX } from "./hash_canonical.ts";
import { jsonPieces } from "./json_pieces.ts";
import {
  type Frame,
  notUtf8,
  oversizeId,
  type ParsedFrame,
  parseFrame,
  parseFrameText,
  takeLineText,
} from "./framing.ts";
import type { TtyAnswer, TtyPrompter } from "./tty_prompter.ts";

/** Proxy mode: record forwards everything (and still decides and traces); enforce blocks. */
export type ProxyMode = "record" | "enforce";

/** Which redaction rules fired, and where (never the values). */
export interface RedactionHit {
  /** Rule id. */
  ruleId: string;
  /** JSON pointer. */
  pointer: string;
}

/** Redacts a value before it is written to a trace. */
export type RedactFn = (value: unknown) => { value: unknown; fired: RedactionHit[] };

/** Compares a tools/list page against the lock: tool name → what drifted. */
export type LockCheckFn = (tools: unknown[]) => ReadonlyMap<string, string>;

/** Marks a tool result text as blocked by the runtime permission layer; returns a description or undefined. */
export type ContainmentDetectFn = (text: string) => string | undefined;

/** Options for {@link ProxySession}. */
export interface ProxySessionOptions {
  /** record or enforce. */
  mode: ProxyMode;
  /** The server's name in the policy. */
  server: string;
  /** The compiled policy (record mode without a policy: an empty one). */
  policy: CompiledPolicy;
  /** The server's working directory: relative paths in calls resolve here. */
  cwd: string;
  /** The user's home directory. */
  home: string;
  /** Session id (one per proxy process). */
  sessionId: string;
  /** Where trace events go. */
  trace: TraceSink;
  /** Redacts arguments and summaries before they are traced. */
  redact: RedactFn;
  /**
   * Sends one message (no newline) to the client: serialized text, or the server's own bytes when the proxy
   * passes a server message on unchanged.
   */
  toClient: (line: string | Uint8Array) => void;
  /** Sends one serialized message (no newline) to the server. */
  toServer: (line: string) => void;
  /**
   * Sends one large message to the server as pieces of its text (see `jsonPieces`), which saves a transient
   * copy or two of a multi-megabyte call; without it, such a message is serialized whole and given to `toServer`.
   */
  toServerPieces?: (pieces: string[]) => void;
  /** Diagnostics (stderr). */
  diag: (message: string) => void;
  /** `result` (default): denied tools/call gets an isError tool result; `jsonrpc`: error -32001 for all. */
  denyStyle?: "result" | "jsonrpc";
  /** Approval timeout in ms (default 60 000). */
  approvalTimeoutMs?: number;
  /** The terminal prompter, when there is a terminal. Called lazily at the first approval. */
  tty?: () => TtyPrompter | undefined;
  /** Lock comparison for every tools/list page. */
  lockCheck?: LockCheckFn;
  /** Runtime-containment denial detector for tool results. */
  detectContainment?: ContainmentDetectFn;
  /** Wall clock (trace times). */
  clock?: () => Date;
  /**
   * Called while a message of 4 MiB or more is taken in: before it is decoded (the chunks it was joined from
   * are garbage), before it is parsed (its bytes are) and, for a client message, after (its text is). The
   * transport collects garbage then (a full GC now, one more on the next turn for the copies made to pass it
   * on), so one large message is held about twice at a time instead of five times.
   */
  releaseMemory?: () => void;
  /** Realpath for canonicalization (default: the host's). */
  realpath?: (abs: string) => string | undefined;
  /**
   * Keep the redacted start of each result's text in the trace (`result.summary`). Off by default: a result
   * is then traced only by its size, content types, `isError` and a hash.
   */
  traceResults?: boolean;
}

/** JSON-RPC error code for a call AgentPerms blocked. */
export const BLOCKED_CODE = -32001;
const PREFIX = "AgentPerms blocked this call: ";
const NO_CHANNEL = "approval required and no approval channel available";

type Id = string | number | null;
type Json = Record<string, unknown>;

interface Batch {
  responses: unknown[];
  outstanding: number;
  open: boolean; // still reading the batch's elements
}

interface Pending {
  id: unknown;
  method: string;
  tool?: string;
  t0: number;
  batch?: Batch;
  /** Set for traced calls: the decision id the `result` trace line refers to. */
  decisionId?: string;
}

interface ApprovalWait {
  id: unknown;
  hasId: boolean;
  key: string;
  msg: Json;
  call: CanonicalCall;
  decision: Decision;
  event: TraceEventV1;
  batch?: Batch;
  abort: AbortController;
  elicitId?: string;
  timer?: ReturnType<typeof setTimeout>;
  done: boolean;
  /** The question as shown to the human (kept for the terminal fallback). */
  question?: string;
  timeoutMs?: number;
}

/**
 * The proxy's message logic, free of processes and streams: feed it frames from the client and the server,
 * it calls `toClient` / `toServer`. Every verdict comes from `decide()` on the output of `canonicalizeCall()`.
 * Messages are parsed once and forwarded as `JSON.stringify` of the value that was judged.
 */
export class ProxySession {
  readonly #o: ProxySessionOptions;
  readonly #enforce: boolean;
  readonly #pending = new Map<string | number, Pending>();
  readonly #dupes = new Map<string | number, Pending[]>();
  readonly #approvals = new Map<string | number, ApprovalWait>();
  readonly #elicits = new Map<string, ApprovalWait>();
  readonly #sessionGrants = new Set<string>();
  readonly #schemas = new Map<string, unknown>();
  readonly #descriptions = new Map<string, string>();
  readonly #drift = new Map<string, string>();
  #clientElicitation = false;
  #decisionSeq = 0;
  #elicitSeq = 0;
  #tty: TtyPrompter | undefined | null = null;
  #closed = false;
  /** True while a client line of LARGE_MESSAGE_BYTES or more is handled (it is passed on in pieces). */
  #largeFrame = false;
  #traceQueue: TraceEventV1[] = [];
  #traceScheduled = false;
  readonly #clock: (() => Date) | undefined;
  #isoMs = NaN;
  #iso = "";
  readonly #copts: { cwd: string; home: string; realpath: (abs: string) => string | undefined };

  /** @param opts see {@link ProxySessionOptions} */
  constructor(opts: ProxySessionOptions) {
    this.#o = opts;
    this.#enforce = opts.mode === "enforce";
    this.#clock = opts.clock;
    this.#copts = { cwd: opts.cwd, home: opts.home, realpath: opts.realpath ?? hostRealpath };
  }

  /** Number of client requests forwarded and not answered yet. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Number of calls waiting for a human. */
  get approvalCount(): number {
    return this.#approvals.size;
  }

  // ---------------------------------------------------------------- client → server

  /**
   * Handles one frame read from the client.
   * @param f a line or an oversize report
   */
  onClientFrame(f: Frame): void {
    if (f.kind === "oversize") {
      this.#malformed("client", `message of ${f.size} bytes is over the size cap; dropped`);
      // The id (if it can be seen) lets the client match the error to its request.
      this.#sendClient(
        errorMsg(oversizeId(f) ?? null, -32600, `AgentPerms: message too large (${f.size} bytes)`),
      );
      return;
    }
    let p: ParsedFrame;
    this.#largeFrame = f.bytes.length >= LARGE_MESSAGE_BYTES;
    if (this.#largeFrame) {
      p = this.#parseLarge(f).parsed;
      this.#o.releaseMemory?.(); // the text: the call is forwarded re-serialized from the parsed value
    } else p = parseFrame(f.bytes);
    if (!p.ok) {
      if (p.empty) return;
      this.#malformed("client", p.error);
      // A message refused for its keys may still show its id: answer that, so the client is not left waiting.
      this.#sendClient(errorMsg((p.id ?? null) as Id, p.code, `AgentPerms: parse error: ${p.error}`));
      return;
    }
    const v = p.value;
    if (Array.isArray(v)) {
      if (v.length === 0) {
        this.#malformed("client", "empty batch");
        this.#sendClient(errorMsg(null, -32600, "AgentPerms: invalid request: empty batch"));
        return;
      }
      const batch: Batch = { responses: [], outstanding: 0, open: true };
      for (const el of v) this.#clientMessage(el, batch);
      batch.open = false;
      this.#maybeFlushBatch(batch);
      return;
    }
    this.#clientMessage(v, undefined);
  }

  #clientMessage(v: unknown, batch: Batch | undefined): void {
    if (v === null || typeof v !== "object" || Array.isArray(v)) {
      this.#malformed("client", "a message is not a JSON object");
      this.#respond(batch, errorMsg(null, -32600, "AgentPerms: invalid request: not an object"));
      return;
    }
    const m = v as Json;
    const hasId = "id" in m;
    if (isRawJson(m.id) && !Number.isFinite(Number(m.id.rawJSON))) {
      // 1e400 reads as Infinity in a JavaScript server, which writes it back as null: no client could match
      // that answer. Refused here, with the id exactly as the client wrote it.
      this.#malformed("client", "a message's id is a number too large to be written back");
      this.#respond(
        batch,
        errorMsg(m.id as unknown as Id, -32600, "AgentPerms: invalid request: the id is not a finite number"),
      );
      return;
    }
    const method = m.method;
    if (typeof method !== "string") {
      if (hasId && ("result" in m || "error" in m)) {
        this.#clientResponse(m);
        return;
      }
      this.#malformed("client", "a message has no string method and is not a response");
      this.#respond(batch, errorMsg(safeId(m.id), -32600, "AgentPerms: invalid request: no method"));
      return;
    }
    if (method === "initialize") this.#onInitialize(m.params);
    if (method === "notifications/cancelled" && this.#withdraw(m.params)) return;

    const judged = JUDGED_METHODS.has(method);
    const call: CanonicalCall =
      judged || !(method.startsWith("notifications/") || PASSTHROUGH_METHODS.has(method))
        ? canonicalizeCall(
          { server: this.#o.server, method, params: m.params },
          {
            ...this.#copts,
            inputSchema: method === "tools/call" ? this.#schemaFor(m.params) : undefined,
            // What the tool says it does (tools/list) tells whether it hands values to a program (git, curl…).
            toolDescription: method === "tools/call" ? this.#descriptionFor(m.params) : undefined,
          },
        )
        : bareCall(this.#o.server, method, "client");
    const decision = decide(this.#o.policy, call, { drift: this.#driftFor(call) });
    const traced = judged || decision.verdict !== "allow";
    const event = traced ? this.#callEvent(m, call, decision) : undefined;

    if (decision.verdict === "allow" || !this.#enforce) {
      this.#forward(m, hasId, method, call.tool, batch, event);
    } else if (decision.verdict === "deny") {
      this.#deny(m, hasId, method, decision, batch, event!, undefined);
    } else {
      this.#askApproval(m, hasId, call, decision, batch, event!);
    }
  }

  #forward(
    m: Json,
    hasId: boolean,
    method: string,
    tool: string | undefined,
    batch: Batch | undefined,
    event: TraceEventV1 | undefined,
  ): void {
    if (event) event.forwarded = true;
    if (hasId) {
      const k = idKey(m.id);
      if (batch) batch.outstanding++;
      const p: Pending = { id: m.id, method, tool, t0: performance.now(), batch };
      if (event) {
        // Write-ahead: the call is traced now, before it is passed on; its answer gets a `result` line.
        p.decisionId = event.decision?.decisionId;
        this.#emit(event);
      }
      const earlier = this.#pending.get(k);
      if (earlier) {
        // A duplicate id while the first is in flight: answers are matched in order.
        this.#dupes.set(k, [...(this.#dupes.get(k) ?? []), p]);
      } else this.#pending.set(k, p);
    } else if (event) {
      event.result = { outcome: "none" };
      this.#emit(event);
    }
    this.#sendServer(m);
  }

  /** Passes a client message on, re-serialized from the value that was judged. */
  #sendServer(m: Json): void {
    if (this.#largeFrame && this.#o.toServerPieces) {
      let pieces: string[] | undefined;
      try {
        pieces = jsonPieces(m);
      } catch {
        // Nesting deeper than jsonPieces' recursion can go (JSON.stringify goes further): serialize whole.
      }
      if (pieces) return this.#o.toServerPieces(pieces);
    }
    this.#o.toServer(JSON.stringify(m));
  }

  #deny(
    m: Json,
    hasId: boolean,
    method: string,
    decision: Decision,
    batch: Batch | undefined,
    event: TraceEventV1,
    reasonOverride: string | undefined,
  ): void {
    event.forwarded = false;
    const decisionId = event.decision?.decisionId ?? "";
    const reason = reasonOverride ?? decision.reason;
    this.#o.diag(`[agentperms] BLOCKED ${this.#o.server}.${event.tool ?? method}: ${reason}`);
    event.result = { outcome: "none" };
    this.#emit(event);
    if (!hasId) return; // a notification gets no answer, but it never reaches the server either
    const meta = { agentperms: { decisionId, ruleIds: decision.ruleIds } };
    if (method === "tools/call" && this.#o.denyStyle !== "jsonrpc") {
      this.#respond(batch, {
        jsonrpc: "2.0",
        id: m.id,
        result: { content: [{ type: "text", text: PREFIX + reason }], isError: true, _meta: meta },
      });
    } else {
      this.#respond(batch, {
        jsonrpc: "2.0",
        id: m.id,
        error: {
          code: BLOCKED_CODE,
          message: PREFIX + reason,
          data: { decisionId, ruleIds: decision.ruleIds },
        },
      });
    }
  }

  #onInitialize(params: unknown): void {
    const p = (params ?? {}) as Json;
    const caps = (p.capabilities ?? {}) as Json;
    this.#clientElicitation = caps.elicitation !== undefined && caps.elicitation !== null;
    const info = (p.clientInfo ?? {}) as Json;
    this.#lifecycle(
      `client initialize: ${String(info.name ?? "?")} ${String(info.version ?? "")} protocol ${
        String(p.protocolVersion ?? "?")
      }${this.#clientElicitation ? ", elicitation" : ""}`,
    );
  }

  /**
   * Lock drift for a call. With a lock, a tool the server has not listed in this session cannot have been
   * compared with it, so it counts as drifted (fail closed) until a tools/list shows it.
   */
  #driftFor(call: CanonicalCall): ReadonlyMap<string, string> {
    const tool = call.tool;
    if (!this.#o.lockCheck || call.method !== "tools/call" || tool === undefined || this.#schemas.has(tool)) {
      return this.#drift;
    }
    const d = new Map(this.#drift);
    d.set(tool, "not listed by the server in this session yet, so not compared with the lock");
    return d;
  }

  #descriptionFor(params: unknown): string | undefined {
    const name = (params as Json | undefined)?.name;
    return typeof name === "string" ? this.#descriptions.get(name) : undefined;
  }

  #schemaFor(params: unknown): unknown {
    const name = (params as Json | undefined)?.name;
    return typeof name === "string" ? this.#schemas.get(name) : undefined;
  }

  // ---------------------------------------------------------------- approvals

  #askApproval(
    m: Json,
    hasId: boolean,
    call: CanonicalCall,
    decision: Decision,
    batch: Batch | undefined,
    event: TraceEventV1,
  ): void {
    const params = (m.params ?? {}) as Json;
    const key = `${this.#o.server}\u0000${call.tool ?? ""}\u0000${
      canonicalize(params.arguments ?? {}) ?? ""
    }`;
    if (this.#sessionGrants.has(key)) {
      event.approval = { channel: "session", granted: true, detail: "allowed earlier for this session" };
      this.#forward(m, hasId, "tools/call", call.tool, batch, event);
      return;
    }
    const w: ApprovalWait = {
      id: m.id,
      hasId,
      key,
      msg: m,
      call,
      decision,
      event,
      batch,
      abort: new AbortController(),
      done: false,
    };
    if (batch) batch.outstanding++;
    if (hasId) this.#approvals.set(idKey(m.id), w);
    const timeoutMs = this.#o.approvalTimeoutMs ?? 60_000;
    const shown = JSON.stringify(params.arguments ?? {}, null, 2);
    const question = `AgentPerms: server "${this.#o.server}" wants to run tool "${
      call.tool ?? "?"
    }" with these arguments:\n${shown}\nReason: ${decision.reason}`;
    w.question = question;
    w.timeoutMs = timeoutMs;
    if (this.#clientElicitation) {
      const elicitId = `agentperms-${this.#o.sessionId}-approval-${++this.#elicitSeq}`;
      w.elicitId = elicitId;
      this.#elicits.set(elicitId, w);
      w.timer = setTimeout(
        () => this.#finishApproval(w, "elicitation", false, false, "no answer before the approval timeout"),
        timeoutMs,
      );
      this.#sendClient({
        jsonrpc: "2.0",
        id: elicitId,
        method: "elicitation/create",
        params: {
          message: question,
          requestedSchema: {
            type: "object",
            properties: {
              decision: {
                type: "string",
                title: "Allow this call?",
                enum: ["allow", "allow-session", "deny"],
                enumNames: ["Allow once", "Allow for this session", "Deny"],
              },
            },
            required: ["decision"],
          },
        },
      });
      return;
    }
    this.#askTty(w, question, timeoutMs);
  }

  /** The terminal channel (or, without a terminal, the "no channel" denial). */
  #askTty(w: ApprovalWait, question: string, timeoutMs: number): void {
    if (this.#tty === null) this.#tty = this.#o.tty?.();
    const tty = this.#tty;
    if (!tty) {
      this.#finishApproval(w, "none", false, false, NO_CHANNEL);
      return;
    }
    tty.ask(
      `\n${question}\nAllow? [y]es once / [a]lways this session / [N]o (denied in ${
        Math.round(timeoutMs / 1000)
      } s): `,
      { timeoutMs, signal: w.abort.signal },
    ).then((a: TtyAnswer) => {
      if (a === "withdrawn") return;
      const granted = a === "once" || a === "session";
      const detail = a === "timeout"
        ? "no answer before the approval timeout"
        : a === "closed"
        ? "the terminal closed"
        : granted
        ? (a === "session" ? "allowed for this session" : "allowed once")
        : "refused by the user";
      this.#finishApproval(w, "tty", granted, a === "session", detail);
    });
  }

  #finishApproval(
    w: ApprovalWait,
    channel: "elicitation" | "tty" | "none",
    granted: boolean,
    session: boolean,
    detail: string,
  ): void {
    if (w.done) return;
    w.done = true;
    clearTimeout(w.timer);
    if (w.elicitId) this.#elicits.delete(w.elicitId);
    if (w.hasId) this.#approvals.delete(idKey(w.id));
    if (w.batch) w.batch.outstanding--;
    w.event.approval = { channel, granted, detail };
    if (this.#closed) return;
    if (granted) {
      if (session) this.#sessionGrants.add(w.key);
      this.#forward(w.msg, w.hasId, "tools/call", w.call.tool, w.batch, w.event);
    } else {
      const reason = channel === "none"
        ? `${NO_CHANNEL} (${w.decision.reason})`
        : `approval denied: ${detail}`;
      this.#deny(w.msg, w.hasId, "tools/call", w.decision, w.batch, w.event, reason);
    }
    if (w.batch) this.#maybeFlushBatch(w.batch);
  }

  #withdraw(params: unknown): boolean {
    const rid = (params as Json | undefined)?.requestId;
    const w = this.#approvals.get(idKey(rid));
    if (!w) return false;
    w.done = true;
    clearTimeout(w.timer);
    this.#approvals.delete(idKey(rid));
    if (w.batch) w.batch.outstanding--;
    w.abort.abort();
    if (w.elicitId) {
      this.#elicits.delete(w.elicitId);
      this.#sendClient({
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: w.elicitId, reason: "the call was cancelled" },
      });
    }
    w.event.approval = { channel: w.elicitId ? "elicitation" : "tty", granted: false, detail: "withdrawn" };
    w.event.forwarded = false;
    w.event.result = { outcome: "none" };
    this.#emit(w.event);
    if (w.batch) this.#maybeFlushBatch(w.batch);
    return true;
  }

  /** A response the client sent: to an elicitation the proxy asked, or to a server request. */
  #clientResponse(m: Json): void {
    const id = m.id;
    if (typeof id === "string") {
      const w = this.#elicits.get(id);
      if (w) {
        if (m.error !== undefined) {
          // The client declared elicitation but could not ask (unsupported form, no UI): try the terminal.
          clearTimeout(w.timer);
          this.#elicits.delete(id);
          w.elicitId = undefined;
          this.#askTty(w, w.question ?? "", w.timeoutMs ?? 60_000);
          return;
        }
        const r = (m.result ?? {}) as Json;
        const content = (r.content ?? {}) as Json;
        const choice = content.decision;
        const accepted = r.action === "accept" && choice !== "deny" && content.approve !== false;
        const session = accepted && choice === "allow-session";
        const detail = accepted
          ? (session ? "allowed for this session" : "allowed once")
          : `the user answered ${String(r.action ?? "?")}${choice === "deny" ? " (deny)" : ""}`;
        this.#finishApproval(w, "elicitation", accepted, session, detail);
        return;
      }
      // A late answer to a question that timed out or was withdrawn: the server never asked it.
      if (id.startsWith(`agentperms-${this.#o.sessionId}-approval-`)) return;
    }
    this.#sendServer(m);
  }

  // ---------------------------------------------------------------- server → client

  /**
   * Handles one frame read from the server.
   * @param f a line or an oversize report
   */
  onServerFrame(f: Frame): void {
    if (f.kind === "oversize") {
      this.#malformed("server", `server message of ${f.size} bytes is over the size cap; dropped`);
      this.#o.diag(`[agentperms] server sent a message of ${f.size} bytes, over the cap; not forwarded`);
      // If it answers a pending request, answer that request with an error so the client is not left waiting.
      const id = oversizeId(f);
      if (id !== undefined && this.#pending.has(idKey(id))) {
        this.#serverMessage(
          errorMsg(id, -32603, `AgentPerms: the server's answer was ${f.size} bytes, over the size cap`),
          f.size,
        );
      }
      return;
    }
    const size = f.bytes.length;
    // A large answer is passed on as its text (it is valid JSON: it parsed), a small one as its bytes.
    let raw: Uint8Array | string | undefined;
    let p: ParsedFrame;
    let head = f.bytes;
    if (size >= LARGE_MESSAGE_BYTES) {
      head = f.bytes.slice(0, 200);
      const large = this.#parseLarge(f);
      p = large.parsed;
      raw = large.text;
    } else {
      p = parseFrame(f.bytes);
      raw = f.bytes;
    }
    if (!p.ok) {
      if (p.empty) return;
      const text = new TextDecoder().decode(head.subarray(0, 200));
      this.#malformed("server", `${p.error}: ${JSON.stringify(text)}`);
      this.#o.diag(
        `[agentperms] server wrote a line that is not a JSON-RPC message (not forwarded): ${text}`,
      );
      return;
    }
    if (Array.isArray(p.value)) {
      for (const el of p.value) this.#serverMessage(el, 0);
      return;
    }
    this.#serverMessage(p.value, size, raw);
  }

  /**
   * Parses a line of LARGE_MESSAGE_BYTES or more while holding as few copies of it as the steps allow: the
   * chunks it was joined from are collected before it is decoded, its bytes before the text is parsed.
   * @param f the line; its bytes are gone afterwards
   * @returns the parse outcome and the text it was parsed from
   */
  #parseLarge(f: Extract<Frame, { kind: "line" }>): { parsed: ParsedFrame; text: string | undefined } {
    this.#o.releaseMemory?.();
    const text = takeLineText(f);
    this.#o.releaseMemory?.();
    return { parsed: text === undefined ? notUtf8() : parseFrameText(text), text };
  }

  /**
   * @param raw the line as the server sent it (its bytes, or for a large line its text); forwarded as is when
   * the message passes unchanged (it was parsed, so it is one valid JSON value without duplicate keys), which
   * saves re-serializing large results
   */
  #serverMessage(v: unknown, size: number, raw?: Uint8Array | string): void {
    if (v === null || typeof v !== "object" || Array.isArray(v)) {
      this.#malformed("server", "server message is not a JSON object; not forwarded");
      return;
    }
    let m = v as Json;
    if (typeof m.method === "string") {
      if ("id" in m) this.#serverRequest(m);
      else {
        // On notifications/tools/list_changed the drift map is kept (fail closed) until the client lists
        // again and each listed tool is re-checked.
        this.#sendClient(m, raw);
      }
      return;
    }
    let k = idKey(m.id);
    let pending = this.#pending.get(k);
    if (!pending) {
      // Clients match answers loosely (the MCP SDK compares Number(id)): "1" answers request 1 for them, so
      // it gets that request's checks (tools/list filtering, input requests) and leaves with the request's id.
      const loose = looseIdKey(m.id);
      pending = loose === undefined ? undefined : this.#pending.get(loose);
      if (!pending) {
        if (m.id === null && m.error !== undefined && m.result === undefined) {
          this.#sendClient(m, raw); // the server could not read a message: JSON-RPC answers that with id null
          return;
        }
        // An answer to no request in flight (a repeat, or one the server made up): nobody asked for it.
        this.#malformed("server", `an answer to no request in flight (id ${clipId(m.id)}); not forwarded`);
        this.#o.diag(
          `[agentperms] server answered a request that is not in flight (id ${clipId(m.id)}); dropped`,
        );
        return;
      }
      k = loose!;
      m.id = pending.id;
      raw = undefined;
    }
    const next = this.#dupes.get(k);
    if (next) {
      this.#pending.set(k, next.shift()!);
      if (next.length === 0) this.#dupes.delete(k);
    } else this.#pending.delete(k);
    if (pending.method === "initialize" && m.result && typeof m.result === "object") {
      const r = m.result as Json;
      const info = (r.serverInfo ?? {}) as Json;
      this.#lifecycle(
        `server initialize: ${String(info.name ?? "?")} ${String(info.version ?? "")} protocol ${
          String(r.protocolVersion ?? "?")
        }`,
      );
    }
    if (pending.method === "tools/list" && m.result && typeof m.result === "object") {
      this.#onToolsList(m.result as Json);
      raw = undefined; // the list may have been filtered: re-serialize
    }
    // 2026-07 multi round-trip requests: server asks (sampling, elicitation) ride inside a result.
    const inputRequests = (m.result as Json | undefined)?.inputRequests;
    if (inputRequests && typeof inputRequests === "object" && !Array.isArray(inputRequests)) {
      const blocked = this.#judgeInputRequests(inputRequests as Json, m.id);
      if (blocked) {
        m = blocked;
        raw = undefined;
      }
    }
    // The result line is queued here and written before the answer leaves (see #emit).
    if (pending.batch) {
      pending.batch.outstanding--;
      pending.batch.responses.push(m);
      this.#maybeFlushBatch(pending.batch);
    } else this.#sendClient(m, raw);
    if (pending.decisionId !== undefined) this.#complete(pending, m, size);
  }

  /**
   * Judges each input request inside an incomplete result like a server request; in enforce mode a denied one
   * turns the whole result into a JSON-RPC error (the client never sees the ask).
   * @returns the replacement error message, or undefined when the result may pass
   */
  #judgeInputRequests(inputRequests: Json, id: unknown): Json | undefined {
    let denied: { decision: Decision; decisionId: string } | undefined;
    for (const [key, r] of Object.entries(inputRequests)) {
      const method = typeof (r as Json | null)?.method === "string" ? (r as Json).method as string : "?";
      const call = bareCall(this.#o.server, method, "server");
      const decision = decide(this.#o.policy, call, { drift: this.#drift });
      const event = this.#baseEvent("server-request");
      event.direction = "server";
      event.method = method;
      event.id = safeId(id);
      event.detail = `inputRequests.${key}`;
      event.decision = { ...pick(decision), decisionId: this.#nextDecisionId() };
      event.forwarded = decision.verdict === "allow" || !this.#enforce;
      this.#emit(event);
      if (!event.forwarded && !denied) denied = { decision, decisionId: event.decision.decisionId! };
    }
    if (!denied) return undefined;
    this.#o.diag(`[agentperms] BLOCKED server input request: ${denied.decision.reason}`);
    return {
      jsonrpc: "2.0",
      id,
      error: {
        code: BLOCKED_CODE,
        message: PREFIX + denied.decision.reason,
        data: { decisionId: denied.decisionId, ruleIds: denied.decision.ruleIds },
      },
    };
  }

  #serverRequest(m: Json): void {
    const method = m.method as string;
    const call = bareCall(this.#o.server, method, "server");
    const decision = decide(this.#o.policy, call, { drift: this.#drift });
    const event = this.#baseEvent("server-request");
    event.direction = "server";
    event.method = method;
    event.id = safeId(m.id);
    event.decision = { ...pick(decision), decisionId: this.#nextDecisionId() };
    const blocked = decision.verdict !== "allow" && this.#enforce;
    event.forwarded = !blocked;
    this.#emit(event);
    if (blocked) {
      this.#o.diag(`[agentperms] BLOCKED server request ${method}: ${decision.reason}`);
      this.#o.toServer(JSON.stringify({
        jsonrpc: "2.0",
        id: m.id,
        error: {
          code: BLOCKED_CODE,
          message: PREFIX + decision.reason,
          data: { decisionId: event.decision.decisionId, ruleIds: decision.ruleIds },
        },
      }));
      return;
    }
    this.#sendClient(m);
  }

  #onToolsList(result: Json): void {
    const tools = result.tools;
    if (!Array.isArray(tools)) return;
    if (this.#o.lockCheck) {
      let drift: ReadonlyMap<string, string>;
      try {
        drift = this.#o.lockCheck(tools);
      } catch (e) {
        drift = new Map(
          tools.map((t) => [String((t as Json)?.name), `lock check failed: ${(e as Error).message}`]),
        );
      }
      for (const t of tools) {
        const name = (t as Json | null)?.name;
        if (typeof name === "string" && !drift.has(name)) this.#drift.delete(name);
      }
      for (const [name, why] of drift) {
        this.#drift.set(name, why);
        const ev = this.#baseEvent("drift");
        ev.tool = name;
        ev.detail = why;
        this.#emit(ev);
      }
    }
    const kept: unknown[] = [];
    const listed: {
      name: string;
      annotations?: unknown;
      descriptionSha256?: string;
      hidden?: boolean;
      ruleIds?: string[];
    }[] = [];
    for (const t of tools) {
      const name = (t as Json | null)?.name;
      if (typeof name !== "string") {
        // A tool without a name cannot be judged; it is never shown in enforce mode.
        if (!this.#enforce) kept.push(t);
        continue;
      }
      this.#schemas.set(name, (t as Json).inputSchema);
      const desc = (t as Json).description;
      if (typeof desc === "string") this.#descriptions.set(name, desc.slice(0, 4096));
      const call = canonicalizeCall({
        server: this.#o.server,
        method: "tools/call",
        tool: name,
        arguments: {},
      }, {
        ...this.#copts,
        inputSchema: (t as Json).inputSchema,
      });
      const d = decide(this.#o.policy, call, { drift: this.#drift });
      const hide = d.verdict === "deny";
      const description = (t as Json).description;
      listed.push({
        name,
        annotations: (t as Json).annotations,
        // A short hash lets report/infer see a description change without storing possibly hostile text.
        ...(typeof description === "string"
          ? { descriptionSha256: createHash("sha256").update(description).digest("hex").slice(0, 16) }
          : {}),
        ...(hide ? { hidden: this.#enforce, ruleIds: d.ruleIds } : {}),
      });
      if (!hide || !this.#enforce) kept.push(t);
    }
    if (this.#enforce) result.tools = kept;
    const ev = this.#baseEvent("tools");
    ev.method = "tools/list";
    ev.tools = listed;
    this.#emit(ev);
  }

  /** The `result` line for a traced call, joined to its `call` line by session and decision id. */
  #resultEvent(p: Pending): TraceEventV1 {
    const ev = this.#baseEvent("result");
    ev.direction = "server";
    ev.method = p.method;
    ev.id = safeId(p.id);
    if (p.tool !== undefined) ev.tool = p.tool;
    ev.decisionId = p.decisionId;
    return ev;
  }

  /**
   * The `result` line: by default only the answer's shape (size, content types, `isError`) and a short hash of
   * its canonical JSON, never its text: a secret in a file the agent read matches no redaction rule, so a
   * redacted excerpt is not safe to keep. `traceResults` adds the redacted start of the text (`summary`).
   */
  #complete(pending: Pending, m: Json, size: number): void {
    const ev = this.#resultEvent(pending);
    ev.latencyMs = Math.round((performance.now() - pending.t0) * 1000) / 1000;
    const sha256 = hashCanonical(m.error !== undefined ? m.error : m.result, { hexChars: RESULT_HASH_HEX });
    if (m.error !== undefined) {
      const err = (m.error ?? {}) as Json;
      ev.result = { outcome: "error", size, sha256 };
      if (this.#o.traceResults) ev.result.summary = this.#summary(String(err.message ?? ""));
    } else {
      const r = (m.result ?? {}) as Json;
      const isError = r.isError === true;
      const first = Array.isArray(r.content) ? (r.content[0] as Json | undefined) : undefined;
      const text = typeof first?.text === "string" ? first.text : undefined;
      ev.result = { outcome: "ok", isError, size, contentTypes: contentTypes(r), sha256 };
      if (text !== undefined) {
        if (this.#o.traceResults) ev.result.summary = this.#summary(text);
        if (isError && this.#o.detectContainment) {
          const c = this.#o.detectContainment(text);
          if (c !== undefined) ev.result.containment = c;
        }
      }
    }
    this.#emit(ev);
  }

  /** The start of a result text; cut to SUMMARY_CHARS only after redaction (see #redactEvent). */
  #summary(text: string): string {
    return text.length > SUMMARY_CHARS + REDACT_MARGIN ? text.slice(0, SUMMARY_CHARS + REDACT_MARGIN) : text;
  }

  /**
   * Queues a trace event. The queue is redacted and written before any message leaves the proxy (the
   * transport calls `flushTrace()` before each write) and, for events that send nothing, at the end of the
   * current turn: so every message's line is in the file before the message is passed on.
   */
  #emit(ev: TraceEventV1): void {
    this.#traceQueue.push(ev);
    if (!this.#traceScheduled) {
      this.#traceScheduled = true;
      queueMicrotask(() => this.flushTrace());
    }
  }

  /** Redacts and writes every queued trace event now, as whole lines in one write. */
  flushTrace(): void {
    this.#traceScheduled = false;
    if (this.#traceQueue.length === 0) return;
    const q = this.#traceQueue;
    this.#traceQueue = [];
    for (const ev of q) this.#o.trace.write(this.#redactEvent(ev));
    this.#o.trace.flush?.();
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
    const text = (t: string, pointer: string) => this.#redactText(t, pointer, ev);
    if (ev.tool !== undefined) ev.tool = text(ev.tool, "#/tool");
    if (ev.method !== undefined) ev.method = text(ev.method, "#/method");
    if (typeof ev.id === "string") ev.id = text(ev.id, "#/id");
    if (ev.paths) ev.paths = ev.paths.map((p, i) => text(p, `#/paths/${i}`));
    if (ev.urls) ev.urls = ev.urls.map((u, i) => text(u, `#/urls/${i}`));
    if (ev.detail !== undefined) ev.detail = text(ev.detail, "#/detail");
    if (ev.decision) ev.decision = { ...ev.decision, reason: text(ev.decision.reason, "#/reason") };
    if (ev.result?.summary !== undefined) {
      const t = text(ev.result.summary, "#/summary");
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

  /** One text redacted and cut like an argument string (the redactor remembers short ones: see buildRedactFn). */
  #redactText(t: string, pointer: string, ev: TraceEventV1): string {
    const cut = t.length > ARG_STRING_CHARS + REDACT_MARGIN
      ? t.slice(0, ARG_STRING_CHARS + REDACT_MARGIN)
      : t;
    const r = this.#o.redact(cut);
    for (const f of r.fired) (ev.redactions ??= []).push({ ruleId: f.ruleId, pointer });
    const value = typeof r.value === "string" ? r.value : "‹redacted›";
    return clip(
      t.length > cut.length ? value + `…‹${t.length - cut.length} more characters›` : value,
      0,
      ARG_STRING_CHARS,
    ) as string;
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * The server exited: every request still waiting gets an error, so the client is never left hanging.
   * @param code the server's exit code
   */
  onServerExit(code: number, why?: string): void {
    const message = `AgentPerms: the server "${this.#o.server}" exited (code ${code}) before answering${
      why ? `: ${why}` : ""
    }`;
    for (const w of [...this.#approvals.values()]) {
      this.#finishApproval(w, "none", false, false, "the server exited");
    }
    const batches = new Set<Batch>();
    for (const p of [...this.#pending.values(), ...[...this.#dupes.values()].flat()]) {
      if (p.decisionId !== undefined) {
        const ev = this.#resultEvent(p);
        ev.result = { outcome: "error", summary: "server exited" };
        this.#emit(ev);
      }
      const e = errorMsg(p.id as Id, -32000, message);
      if (p.batch) {
        p.batch.outstanding--;
        p.batch.responses.push(e);
        batches.add(p.batch);
      } else this.#sendClient(e);
    }
    this.#pending.clear();
    this.#dupes.clear();
    for (const b of batches) this.#maybeFlushBatch(b);
    this.#lifecycle(`server exited with code ${code}${why ? `: ${why}` : ""}`);
    this.#closed = true;
    this.flushTrace();
  }

  /**
   * Writes a lifecycle event (proxy start, client EOF, signals).
   * @param detail what happened
   */
  lifecycle(detail: string): void {
    this.#lifecycle(detail);
  }

  // ---------------------------------------------------------------- helpers

  #respond(batch: Batch | undefined, msg: Json): void {
    if (batch) batch.responses.push(msg);
    else this.#sendClient(msg);
  }

  #maybeFlushBatch(batch: Batch): void {
    if (batch.open || batch.outstanding > 0) return;
    if (batch.responses.length > 0) this.#o.toClient(JSON.stringify(batch.responses));
    batch.responses = [];
  }

  #sendClient(msg: unknown, raw?: Uint8Array | string): void {
    if (!this.#closed) this.#o.toClient(raw ?? JSON.stringify(msg));
  }

  #nextDecisionId(): string {
    return `${this.#o.sessionId}-${++this.#decisionSeq}`;
  }

  /** The trace time: formatted once per millisecond (several events share one; formatting costs 0.5 µs). */
  #now(): string {
    if (this.#clock) return this.#clock().toISOString();
    const ms = Date.now();
    if (ms !== this.#isoMs) {
      this.#isoMs = ms;
      this.#iso = new Date(ms).toISOString();
    }
    return this.#iso;
  }

  #baseEvent(kind: TraceEventV1["kind"]): TraceEventV1 {
    return {
      v: 1,
      kind,
      time: this.#now(),
      sessionId: this.#o.sessionId,
      server: this.#o.server,
      mode: this.#o.mode,
    };
  }

  #callEvent(m: Json, call: CanonicalCall, decision: Decision): TraceEventV1 {
    const ev = this.#baseEvent("call");
    ev.direction = "client";
    ev.method = call.method;
    ev.id = "id" in m ? safeId(m.id) : null;
    if (call.tool !== undefined) ev.tool = call.tool;
    const params = (m.params ?? {}) as Json;
    const args = call.method === "tools/call" || call.method === "prompts/get"
      ? (params.arguments ?? {})
      : (m.params ?? {});
    // Redacted when the queue is flushed (see #emit), before anything is written; until then the event holds
    // the raw values and must not be written anywhere else.
    ev.arguments = args;
    if (call.paths.length > 0) ev.paths = call.paths.map((p) => p.forms[0] ?? p.raw);
    if (call.urls.length > 0) ev.urls = call.urls.map((u) => u.raw);
    ev.cwd = this.#o.cwd;
    ev.decision = { ...pick(decision), decisionId: this.#nextDecisionId() };
    return ev;
  }

  #malformed(direction: "client" | "server", detail: string): void {
    const ev = this.#baseEvent("malformed");
    ev.direction = direction;
    ev.detail = detail;
    ev.forwarded = false;
    this.#emit(ev);
  }

  #lifecycle(detail: string): void {
    const ev = this.#baseEvent("lifecycle");
    ev.detail = detail;
    this.#emit(ev);
  }
}

const SUMMARY_CHARS = 200;
const LARGE_MESSAGE_BYTES = 4 * 1024 * 1024;
const ARG_STRING_CHARS = 4096;
/** Characters kept past a cut until redaction has run: longer than any secret the rules look for. */
const REDACT_MARGIN = 65_536;
const CLIP_DEPTH = 64;
const MORE_REGEXP = /…‹(\d+) more characters›$/;

/**
 * Shortens long strings in traced arguments: a trace is a log, not a copy of the data. The marker counts the
 * characters dropped past ARG_STRING_CHARS in the original string, also when a string is clipped twice
 * (before redaction with a margin, then after).
 */
function clip(v: unknown, depth: number, max: number): unknown {
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
  if (Array.isArray(v)) return v.map((x) => clip(x, depth + 1, max));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = clip(x, depth + 1, max);
  return out;
}

/** A content type as servers write them (`text`, `image`, `resource_link`): anything else is traced as "other". */
const CONTENT_TYPE_REGEXP = /^[a-z][a-z0-9_./+-]{0,63}$/i;
const MAX_CONTENT_TYPES = 16;

/**
 * The distinct content types of a result, in order of first appearance: `content[].type` of a tool result,
 * "text" or "blob" for each of `contents[]` (resources/read). Never the content itself.
 */
function contentTypes(r: Json): string[] {
  const out = new Set<string>();
  const add = (t: string) => {
    if (out.size < MAX_CONTENT_TYPES) out.add(CONTENT_TYPE_REGEXP.test(t) ? t : "other");
  };
  if (Array.isArray(r.content)) {
    for (const c of r.content) {
      add(typeof (c as Json | null)?.type === "string" ? (c as Json).type as string : "other");
    }
  }
  if (Array.isArray(r.contents)) {
    for (const c of r.contents) {
      const o = (c ?? {}) as Json;
      add(typeof o.blob === "string" ? "blob" : typeof o.text === "string" ? "text" : "other");
    }
  }
  return [...out];
}

function pick(d: Decision): { verdict: Decision["verdict"]; ruleIds: string[]; reason: string } {
  return { verdict: d.verdict, ruleIds: d.ruleIds, reason: d.reason };
}

/**
 * The key of a request id in the proxy's maps: a number stands for itself (the common case: no string is built
 * per message), anything else becomes a string; the two never collide in a Map.
 */
function idKey(id: unknown): string | number {
  // An id kept exactly (9007199254740993) matches the answer of a server that read it as a double too, as
  // the MCP SDK compares ids by Number(id).
  if (isRawJson(id)) return Number(id.rawJSON);
  switch (typeof id) {
    case "string":
      return "s" + id;
    case "number":
      return id;
    case "undefined":
      return "u";
    default:
      return "j" + JSON.stringify(id);
  }
}

/**
 * The key a client that compares ids loosely would match `id` to: the number a string reads as (what the MCP
 * SDK's `Number(id)` gives, "" and " 1 " included), or the string a number is written as.
 */
function looseIdKey(id: unknown): string | number | undefined {
  if (typeof id === "number") return "s" + String(id);
  if (typeof id !== "string") return undefined;
  const n = Number(id);
  return Number.isFinite(n) ? n : undefined;
}

/** An id as shown in a report: JSON, at most 80 characters. */
function clipId(id: unknown): string {
  const s = JSON.stringify(id) ?? "undefined";
  return s.length > 80 ? s.slice(0, 80) + "…" : s;
}

/** An id as a trace event stores it: a plain number or string (an exact id as the number it reads as). */
function safeId(id: unknown): Id {
  if (isRawJson(id)) return Number(id.rawJSON);
  return typeof id === "string" || typeof id === "number" ? id : null;
}

/** A number kept exactly as written (`JSON.rawJSON`, from the strict reader). */
function isRawJson(v: unknown): v is { rawJSON: string } {
  return (JSON as unknown as { isRawJSON(v: unknown): boolean }).isRawJSON(v);
}

function errorMsg(id: Id, code: number, message: string): Json {
  return { jsonrpc: "2.0", id, error: { code, message } };
}
