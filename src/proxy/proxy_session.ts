import { createHash } from "node:crypto";
import { bareCall, type CanonicalCall, canonicalizeCall, hostRealpath } from "../canonical/mod.ts";
import {
  attachCallFacts,
  decide,
  type Decision,
  JUDGED_METHODS,
  PASSTHROUGH_METHODS,
} from "../decision/mod.ts";
import type { CompiledPolicy } from "../policy/mod.ts";
// Session rules are not exported by decision/mod.ts and policy/mod.ts yet (#18 item 7): the files directly.
import {
  advanceSession,
  newSessionState,
  type SessionCall,
  sessionCallOf,
  type SessionState,
  sessionVerdict,
} from "../decision/session_rules.ts";
import type { SessionRule } from "../policy/session_rules_schema.ts";
import { matchServerProfile, type ServerProfileDescriptor } from "../profiles/mod.ts";
import { BUILTIN_PROFILES } from "../../profiles/mod.ts";
import type { DecisionTelemetry } from "../telemetry/mod.ts";
import type { TraceEventV1, TraceSink } from "../trace/mod.ts";
import { clipId, errorMsg, type Id, idKey, isRawJson, type Json, safeId } from "./_json_rpc.ts";
import { Approvals, NO_CHANNEL, type Outcome } from "./approvals.ts";
import { type Batch, blockedReply, type Pending, RequestBook } from "./request_book.ts";
import { type RedactFn, TraceRecorder } from "./trace_recorder.ts";
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
import type { TtyPrompter } from "./tty_prompter.ts";

/** Proxy mode: record forwards everything (and still decides and traces); enforce blocks. */
export type ProxyMode = "record" | "enforce";

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
   * Called once after a message of 4 MiB or more has been handled (passed on, refused or answered): the
   * transport may collect garbage once it is idle. Nothing is collected between the steps of a message: a
   * full collection marks the whole heap, and several per message cost more than the message itself.
   */
  releaseMemory?: () => void;
  /** Realpath for canonicalization (default: the host's). */
  realpath?: (abs: string) => string | undefined;
  /**
   * Keep the redacted start of each result's text in the trace (`result.summary`). Off by default: a result
   * is then traced only by its size, content types, `isError` and a hash.
   */
  traceResults?: boolean;
  /**
   * Where each traced decision is also reported (OpenTelemetry, opt-in): names, verdict and rule ids only,
   * never argument values.
   */
  telemetry?: DecisionTelemetry;
  /**
   * The policy's session rules (#18 item 7). Default: the compiled policy's `sessionRules`, when it has them.
   * Each call is judged by `decide()` and then by the rules armed so far in this session.
   */
  sessionRules?: readonly SessionRule[];
  /**
   * The server's profile for session rules (scopes, untrusted tools). Default: the first profile (the policy's
   * own, then the built-in ones) whose names match the server's policy name; null: none.
   */
  serverProfile?: ServerProfileDescriptor | null;
}

/** A call waiting for a human: what the router does once the answer comes. */
interface Wait {
  msg: Json;
  hasId: boolean;
  call: CanonicalCall;
  decision: Decision;
  event: TraceEventV1;
  batch?: Batch;
  settled: boolean;
}

/** What {@link ProxySession}'s denial needs: the message, its decision and trace line, and where to answer. */
interface Denial {
  msg: Json;
  hasId: boolean;
  method: string;
  decision: Decision;
  event: TraceEventV1;
  batch?: Batch;
  /** Replaces the decision's reason (an approval that was refused). */
  reason?: string;
}

/**
 * The proxy's router, free of processes, streams and sockets: feed it frames from the client and the server,
 * it calls `toClient` / `toServer`; stdio and HTTP are transports around it. Client messages: frame →
 * canonicalize → decide → forward, deny or ask (approvals); server answers: correlate (request book) →
 * filter tools/list and check lock drift; server requests: decide → forward, or answer upstream. Every
 * verdict comes from `decide()` on the output of `canonicalizeCall()`. Messages are parsed once and forwarded
 * as written when the strict reader accepted them on one line, else as `JSON.stringify` of the value judged. Trace events go through the {@link TraceRecorder}: a
 * message's lines are written before it is passed on (write-ahead), except an answer's `result` line, written
 * right after the answer (the call's line is in the file already; hashing and redacting the answer would
 * otherwise delay it).
 */
export class ProxySession {
  readonly #o: ProxySessionOptions;
  readonly #enforce: boolean;
  readonly #trace: TraceRecorder;
  readonly #book: RequestBook;
  readonly #approvals: Approvals;
  readonly #waits = new Map<string | number, Wait>();
  readonly #schemas = new Map<string, unknown>();
  readonly #descriptions = new Map<string, string>();
  readonly #drift = new Map<string, string>();
  #closed = false;
  /** True while a client line of LARGE_MESSAGE_BYTES or more is handled (it is passed on in pieces). */
  #largeFrame = false;
  readonly #copts: {
    cwd: string;
    home: string;
    realpath: (abs: string) => string | undefined;
    windows?: boolean;
  };
  /** Session rules and this session's state: what came in, which rules are armed (plain data). */
  readonly #sessionRules: readonly SessionRule[];
  #sessionState: SessionState = newSessionState();
  /** Calls forwarded and not answered yet, by decision id: the state advances when their answer comes. */
  readonly #sessionCalls = new Map<string, SessionCall>();
  readonly #annotations = new Map<string, SessionAnnotations | undefined>();
  #profile: ServerProfileDescriptor | undefined | null = undefined;
  /**
   * The client message being handled and its text as written, while it is handled (see #sendServer); a call
   * passed on later (after an approval) is re-serialized.
   */
  #written: { m: unknown; text: string } | undefined;
  /** Answers passed on whose `result` line is still to be built (see `#traceLater`). */
  #results: { pending: Pending; m: Json; size: number; at: number }[] = [];
  #resultsScheduled = false;

  /** @param opts see {@link ProxySessionOptions} */
  constructor(opts: ProxySessionOptions) {
    this.#o = opts;
    this.#enforce = opts.mode === "enforce";
    this.#copts = {
      cwd: opts.cwd,
      home: opts.home,
      realpath: opts.realpath ?? hostRealpath,
      ...(opts.policy.windows ? { windows: true } : {}),
    };
    this.#sessionRules = opts.sessionRules ??
      (opts.policy as CompiledPolicy & { sessionRules?: readonly SessionRule[] }).sessionRules ?? [];
    this.#trace = new TraceRecorder({
      sessionId: opts.sessionId,
      server: opts.server,
      mode: opts.mode,
      trace: opts.trace,
      redact: opts.redact,
      clock: opts.clock,
    });
    this.#book = new RequestBook({
      send: (msg, raw) => this.#sendClient(msg, raw),
      sendBatch: (text) => this.#o.toClient(text),
    });
    this.#approvals = new Approvals({
      server: opts.server,
      sessionId: opts.sessionId,
      toClient: (msg) => this.#sendClient(msg),
      timeoutMs: opts.approvalTimeoutMs,
      tty: opts.tty,
    });
  }

  /** Number of client requests forwarded and not answered yet. */
  get pendingCount(): number {
    return this.#book.size;
  }

  /**
   * Whether a forwarded request still waits for its answer (a transport that lost the answer's stream
   * answers it with an error then).
   * @param id the request's id
   * @returns true while it is in flight
   */
  isPending(id: unknown): boolean {
    return this.#book.has(id);
  }

  /** Number of calls waiting for a human. */
  get approvalCount(): number {
    return this.#waits.size;
  }

  // ---------------------------------------------------------------- client → server

  /**
   * Handles one frame read from the client.
   * @param f a line or an oversize report
   */
  onClientFrame(f: Frame): void {
    if (f.kind === "oversize") {
      this.#trace.malformed("client", `message of ${f.size} bytes is over the size cap; dropped`);
      // The id (if it can be seen) lets the client match the error to its request.
      this.#sendClient(
        errorMsg(oversizeId(f) ?? null, -32600, `AgentPerms: message too large (${f.size} bytes)`),
      );
      return;
    }
    this.#largeFrame = f.bytes.length >= LARGE_MESSAGE_BYTES;
    if (!this.#largeFrame) return this.#onClientLine(parseFrame(f.bytes, KEEP_TEXT));
    try {
      this.#onClientLine(parseTaken(f));
    } finally {
      this.#largeFrame = false;
      this.#o.releaseMemory?.();
    }
  }

  #onClientLine(p: ParsedFrame): void {
    if (!p.ok) {
      if (p.empty) return;
      this.#trace.malformed("client", p.error);
      // A message refused for its keys may still show its id: answer that, so the client is not left waiting.
      this.#sendClient(errorMsg((p.id ?? null) as Id, p.code, `AgentPerms: parse error: ${p.error}`));
      return;
    }
    const v = p.value;
    if (Array.isArray(v)) {
      if (v.length === 0) {
        this.#trace.malformed("client", "empty batch");
        this.#sendClient(errorMsg(null, -32600, "AgentPerms: invalid request: empty batch"));
        return;
      }
      const batch = this.#book.openBatch();
      for (const el of v) this.#clientMessage(el, batch);
      this.#book.closeBatch(batch);
      return;
    }
    // Passed on as the client wrote it (see #sendServer); a batch's messages are written one by one.
    if (p.text === undefined) return this.#clientMessage(v, undefined);
    this.#written = { m: v, text: p.text };
    try {
      this.#clientMessage(v, undefined);
    } finally {
      this.#written = undefined;
    }
  }

  #clientMessage(v: unknown, batch: Batch | undefined): void {
    if (v === null || typeof v !== "object" || Array.isArray(v)) {
      this.#trace.malformed("client", "a message is not a JSON object");
      this.#book.respond(batch, errorMsg(null, -32600, "AgentPerms: invalid request: not an object"));
      return;
    }
    const m = v as Json;
    const hasId = "id" in m;
    if (isRawJson(m.id) && !Number.isFinite(Number(m.id.rawJSON))) {
      // 1e400 reads as Infinity in a JavaScript server, which writes it back as null: no client could match
      // that answer. Refused here, with the id exactly as the client wrote it.
      this.#trace.malformed("client", "a message's id is a number too large to be written back");
      this.#book.respond(
        batch,
        errorMsg(m.id as unknown as Id, -32600, "AgentPerms: invalid request: the id is not a finite number"),
      );
      return;
    }
    const method = m.method;
    if (typeof method !== "string") {
      if (hasId && ("result" in m || "error" in m)) {
        // An answer to an elicitation the proxy asked stays here; any other goes to the server it answers.
        if (!this.#approvals.answer(m)) this.#sendServer(m);
        return;
      }
      this.#trace.malformed("client", "a message has no string method and is not a response");
      this.#book.respond(batch, errorMsg(safeId(m.id), -32600, "AgentPerms: invalid request: no method"));
      return;
    }
    if (method === "initialize") this.#onInitialize(m.params);
    if (method === "notifications/cancelled" && this.#withdraw(m.params)) return;

    const judged = JUDGED_METHODS.has(method);
    const t0 = this.#o.telemetry ? performance.now() : 0;
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
    // Format 2 rules (argument rules, scopes, SQL) and session rules read the arguments as sent (a call without
    // them is refused by decide(), fail closed), kept out of anything that writes the call out; the tool's
    // annotations from tools/list: format 2 tool classes only tighten with them.
    if (judged) {
      attachCallFacts(call, {
        arguments: call.method === "tools/call" ? ((m.params ?? {}) as Json).arguments ?? {} : undefined,
        annotations: this.#annotationsFor(m.params),
      });
    }
    let decision = decide(this.#o.policy, call, { drift: this.#driftFor(call) });
    const session = judged ? this.#sessionCall(call, m.params) : undefined;
    if (session) decision = this.#sessionDecision(session, decision);
    const traced = judged || decision.verdict !== "allow";
    const event = traced ? this.#callEvent(m, call, decision) : undefined;
    const decisionId = event?.decision?.decisionId;
    if (session && hasId && decisionId !== undefined) this.#sessionCalls.set(decisionId, session);
    if (event && this.#o.telemetry) {
      const meta = ((m.params ?? {}) as Json)._meta as Json | undefined;
      this.#observe(call.method, call.tool, "client", decision, event, t0, meta?.traceparent);
    }

    if (decision.verdict === "allow" || !this.#enforce) {
      this.#forward(m, hasId, method, call.tool, batch, event);
    } else if (decision.verdict === "deny") {
      this.#deny({ msg: m, hasId, method, decision, batch, event: event! });
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
      const p: Pending = { id: m.id, method, tool, t0: performance.now(), batch };
      if (event) {
        // Write-ahead: the call is traced now, before it is passed on; its answer gets a `result` line.
        p.decisionId = event.decision?.decisionId;
        this.#trace.emit(event);
      }
      this.#book.add(p);
    } else if (event) {
      event.result = { outcome: "none" };
      this.#trace.emit(event);
    }
    this.#sendServer(m);
  }

  /**
   * Passes a client message on: as the client wrote it when the proxy kept its text (one message on one line
   * that the strict reader accepted: no repeated or misread key, every number exact, so any JSON reader reads
   * the value that was judged, and no CR or LF a reader could split at), else re-serialized from that value.
   */
  #sendServer(m: Json): void {
    if (this.#written?.m === m) return this.#o.toServer(this.#written.text);
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

  #deny(d: Denial): void {
    const { event, decision } = d;
    event.forwarded = false;
    // A blocked call brought nothing in: the session state does not change.
    if (event.decision?.decisionId !== undefined) this.#sessionCalls.delete(event.decision.decisionId);
    const reason = d.reason ?? decision.reason;
    this.#o.diag(`[agentperms] BLOCKED ${this.#o.server}.${event.tool ?? d.method}: ${reason}`);
    event.result = { outcome: "none" };
    this.#trace.emit(event);
    if (!d.hasId) return; // a notification gets no answer, but it never reaches the server either
    this.#book.respond(
      d.batch,
      blockedReply({
        id: d.msg.id,
        reason,
        decisionId: event.decision?.decisionId ?? "",
        ruleIds: decision.ruleIds,
        asToolResult: d.method === "tools/call" && this.#o.denyStyle !== "jsonrpc",
      }),
    );
  }

  #onInitialize(params: unknown): void {
    const p = (params ?? {}) as Json;
    const caps = (p.capabilities ?? {}) as Json;
    this.#approvals.clientElicitation = caps.elicitation !== undefined && caps.elicitation !== null;
    const info = (p.clientInfo ?? {}) as Json;
    this.#trace.lifecycle(
      `client initialize: ${String(info.name ?? "?")} ${String(info.version ?? "")} protocol ${
        String(p.protocolVersion ?? "?")
      }${this.#approvals.clientElicitation ? ", elicitation" : ""}`,
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

  #annotationsFor(params: unknown): unknown {
    const name = (params as Json | undefined)?.name;
    return typeof name === "string" ? this.#annotations.get(name) : undefined;
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
    const args = ((m.params ?? {}) as Json).arguments ?? {};
    if (this.#approvals.grantedForSession(call, args)) {
      event.approval = { channel: "session", granted: true, detail: "allowed earlier for this session" };
      this.#forward(m, hasId, "tools/call", call.tool, batch, event);
      return;
    }
    const w: Wait = { msg: m, hasId, call, decision, event, batch, settled: false };
    if (batch) batch.outstanding++;
    if (hasId) this.#waits.set(idKey(m.id), w);
    this.#approvals.ask(call, decision, { requestId: hasId ? m.id : undefined, arguments: args })
      .then((o) => this.#settle(w, o));
  }

  /** A human's answer (or its absence) to a waiting call: forward it or deny it. */
  #settle(w: Wait, o: Outcome): void {
    if (w.settled) return;
    w.settled = true;
    if (w.hasId && this.#waits.get(idKey(w.msg.id)) === w) this.#waits.delete(idKey(w.msg.id));
    if (w.batch) w.batch.outstanding--;
    const channel = o.channel === "session" ? "none" : o.channel;
    w.event.approval = { channel, granted: o.granted, detail: o.detail };
    if (this.#closed) return;
    if (o.granted) {
      this.#forward(w.msg, w.hasId, "tools/call", w.call.tool, w.batch, w.event);
    } else {
      const reason = channel === "none"
        ? `${NO_CHANNEL} (${w.decision.reason})`
        : `approval denied: ${o.detail}`;
      this.#deny({
        msg: w.msg,
        hasId: w.hasId,
        method: "tools/call",
        decision: w.decision,
        batch: w.batch,
        event: w.event,
        reason,
      });
    }
    if (w.batch) this.#book.flush(w.batch);
  }

  /** notifications/cancelled for a call waiting for a human: the question is withdrawn, the call dropped. */
  #withdraw(params: unknown): boolean {
    const rid = (params as Json | undefined)?.requestId;
    const w = this.#waits.get(idKey(rid));
    if (!w) return false;
    w.settled = true;
    this.#waits.delete(idKey(rid));
    if (w.batch) w.batch.outstanding--;
    const channel = this.#approvals.cancel(rid) ?? "tty";
    w.event.approval = { channel, granted: false, detail: "withdrawn" };
    w.event.forwarded = false;
    w.event.result = { outcome: "none" };
    this.#trace.emit(w.event);
    if (w.batch) this.#book.flush(w.batch);
    return true;
  }

  // ---------------------------------------------------------------- server → client

  /**
   * Handles one frame read from the server.
   * @param f a line or an oversize report
   */
  onServerFrame(f: Frame): void {
    if (f.kind === "oversize") {
      this.#trace.malformed("server", `server message of ${f.size} bytes is over the size cap; dropped`);
      this.#o.diag(`[agentperms] server sent a message of ${f.size} bytes, over the cap; not forwarded`);
      // If it answers a pending request, answer that request with an error so the client is not left waiting.
      const id = oversizeId(f);
      if (id !== undefined && this.#book.has(id)) {
        this.#serverMessage(
          errorMsg(id, -32603, `AgentPerms: the server's answer was ${f.size} bytes, over the size cap`),
          f.size,
        );
      }
      return;
    }
    const size = f.bytes.length;
    // Passed on as the server's own bytes when it passes unchanged (it parsed, so it is valid JSON), also a
    // multi-megabyte answer: writing its bytes costs a view per slice, writing its text an encoding.
    const raw = f.bytes;
    const p = parseFrame(raw);
    try {
      if (!p.ok) {
        if (p.empty) return;
        const text = new TextDecoder().decode(raw.subarray(0, 200));
        this.#trace.malformed("server", `${p.error}: ${JSON.stringify(text)}`);
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
    } finally {
      if (size >= LARGE_MESSAGE_BYTES) this.#o.releaseMemory?.();
    }
  }

  /**
   * @param raw the line as the server sent it (its bytes, or a transport's text); forwarded as is when
   * the message passes unchanged (it was parsed, so it is one valid JSON value without duplicate keys), which
   * saves re-serializing large results
   */
  #serverMessage(v: unknown, size: number, raw?: Uint8Array | string): void {
    if (v === null || typeof v !== "object" || Array.isArray(v)) {
      this.#trace.malformed("server", "server message is not a JSON object; not forwarded");
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
    const taken = this.#book.take(m.id);
    if (!taken) {
      if (m.id === null && m.error !== undefined && m.result === undefined) {
        this.#sendClient(m, raw); // the server could not read a message: JSON-RPC answers that with id null
        return;
      }
      // An answer to no request in flight (a repeat, or one the server made up): nobody asked for it.
      this.#trace.malformed(
        "server",
        `an answer to no request in flight (id ${clipId(m.id)}); not forwarded`,
      );
      this.#o.diag(
        `[agentperms] server answered a request that is not in flight (id ${clipId(m.id)}); dropped`,
      );
      return;
    }
    const pending = taken.pending;
    if (taken.loose) {
      // Matched the way clients match ids ("1" answers 1): it leaves with the request's own id.
      m.id = pending.id;
      raw = undefined;
    }
    if (pending.method === "initialize" && m.result && typeof m.result === "object") {
      const r = m.result as Json;
      const info = (r.serverInfo ?? {}) as Json;
      this.#trace.lifecycle(
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
    if (pending.batch) this.#book.settle(pending.batch, m);
    else this.#sendClient(m, raw);
    if (pending.decisionId !== undefined) {
      // What the answer brought in counts for the session now, before any later call is judged.
      this.#sessionAnswered(pending.decisionId);
      // The answer leaves first and is traced right after: its `result` line needs no write-ahead (the call
      // line is in the file already), so hashing, redacting and writing it are off the answer's path.
      this.#traceLater(pending, m, size, performance.now());
    }
  }

  /**
   * Queues an answer's `result` line. It is built and written in a microtask queued after the answer was
   * handed to the transport (whose write is a microtask queued before it: see `outbox`), or by
   * `flushTrace({ results: true })`, or when the server exits.
   */
  #traceLater(pending: Pending, m: Json, size: number, at: number): void {
    this.#results.push({ pending, m, size, at });
    if (this.#resultsScheduled) return;
    this.#resultsScheduled = true;
    queueMicrotask(() => this.#traceResults());
  }

  /** Builds and writes the `result` lines of the answers passed on so far. */
  #traceResults(): void {
    this.#resultsScheduled = false;
    if (this.#results.length === 0) return;
    const q = this.#results;
    this.#results = [];
    for (const r of q) this.#complete(r.pending, r.m, r.size, r.at);
    this.#trace.flush();
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
      const { event, decision, blocked } = this.#judgeServerRequest(method, id);
      event.detail = `inputRequests.${key}`;
      this.#trace.emit(event);
      if (blocked && !denied) denied = { decision, decisionId: event.decision!.decisionId! };
    }
    if (!denied) return undefined;
    this.#o.diag(`[agentperms] BLOCKED server input request: ${denied.decision.reason}`);
    return blockedReply({
      id,
      reason: denied.decision.reason,
      decisionId: denied.decisionId,
      ruleIds: denied.decision.ruleIds,
    });
  }

  #serverRequest(m: Json): void {
    const method = m.method as string;
    const { event, decision, blocked } = this.#judgeServerRequest(method, m.id);
    this.#trace.emit(event);
    if (blocked) {
      // The client never sees it; the server gets its answer from the proxy (over HTTP: POSTed upstream).
      this.#o.diag(`[agentperms] BLOCKED server request ${method}: ${decision.reason}`);
      this.#o.toServer(JSON.stringify(blockedReply({
        id: m.id,
        reason: decision.reason,
        decisionId: event.decision!.decisionId!,
        ruleIds: decision.ruleIds,
      })));
      return;
    }
    this.#sendClient(m);
  }

  /** Decides a server-to-client request (sampling, elicitation, roots) and builds its trace line. */
  #judgeServerRequest(
    method: string,
    id: unknown,
  ): { event: TraceEventV1; decision: Decision; blocked: boolean } {
    const t0 = this.#o.telemetry ? performance.now() : 0;
    const call = bareCall(this.#o.server, method, "server");
    const decision = decide(this.#o.policy, call, { drift: this.#drift });
    const event = this.#trace.event("server-request");
    event.direction = "server";
    event.method = method;
    event.id = safeId(id);
    event.decision = { ...pick(decision), decisionId: this.#trace.nextDecisionId() };
    if (this.#o.telemetry) this.#observe(method, undefined, "server", decision, event, t0, undefined);
    const blocked = decision.verdict !== "allow" && this.#enforce;
    event.forwarded = !blocked;
    return { event, decision, blocked };
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
        const ev = this.#trace.event("drift");
        ev.tool = name;
        ev.detail = why;
        this.#trace.emit(ev);
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
      this.#annotations.set(name, annotationsOf((t as Json).annotations));
      const desc = (t as Json).description;
      if (typeof desc === "string") this.#descriptions.set(name, desc.slice(0, 4096));
      const call = canonicalizeCall({
        server: this.#o.server,
        method: "tools/call",
        params: { name, arguments: {} },
      }, {
        ...this.#copts,
        inputSchema: (t as Json).inputSchema,
      });
      // Whether to hide the tool is about the tool (its name and classes), not about any use of it.
      attachCallFacts(call, { arguments: {}, annotations: (t as Json).annotations, toolOnly: true });
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
    const ev = this.#trace.event("tools");
    ev.method = "tools/list";
    ev.tools = listed;
    this.#trace.emit(ev);
  }

  /** The `result` line for a traced call, joined to its `call` line by session and decision id. */
  #resultEvent(p: Pending): TraceEventV1 {
    const ev = this.#trace.event("result");
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
  #complete(pending: Pending, m: Json, size: number, at: number): void {
    const ev = this.#resultEvent(pending);
    ev.latencyMs = Math.round((at - pending.t0) * 1000) / 1000;
    const sha256 = hashCanonical(m.error !== undefined ? m.error : m.result, { hexChars: RESULT_HASH_HEX });
    if (m.error !== undefined) {
      const err = (m.error ?? {}) as Json;
      ev.result = { outcome: "error", size, sha256 };
      if (this.#o.traceResults) ev.result.summary = this.#trace.summary(String(err.message ?? ""));
    } else {
      const r = (m.result ?? {}) as Json;
      const isError = r.isError === true;
      const first = Array.isArray(r.content) ? (r.content[0] as Json | undefined) : undefined;
      const text = typeof first?.text === "string" ? first.text : undefined;
      ev.result = { outcome: "ok", isError, size, contentTypes: contentTypes(r), sha256 };
      if (text !== undefined) {
        if (this.#o.traceResults) ev.result.summary = this.#trace.summary(text);
        if (isError && this.#o.detectContainment) {
          const c = this.#o.detectContainment(text);
          if (c !== undefined) ev.result.containment = c;
        }
      }
    }
    this.#trace.emit(ev);
  }

  /**
   * Writes every queued trace event now: the transport calls this before each write (write-ahead), so a
   * message never leaves before the lines it must follow. The `result` lines of answers already passed on are
   * not among them: they are written right after the answer (see `#traceLater`).
   * @param opts `results`: also build and write those `result` lines now (tests, shutdown)
   */
  flushTrace(opts: { results?: boolean } = {}): void {
    if (opts.results) this.#traceResults();
    this.#trace.flush();
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * The server exited: every request still waiting gets an error, so the client is never left hanging.
   * @param code the server's exit code
   * @param why what the exit means (cause, last stderr lines)
   */
  onServerExit(code: number, why?: string): void {
    const message = `AgentPerms: the server "${this.#o.server}" exited (code ${code}) before answering${
      why ? `: ${why}` : ""
    }`;
    this.#traceResults();
    for (const w of [...this.#waits.values()]) {
      this.#settle(w, { channel: "none", granted: false, session: false, detail: "the server exited" });
    }
    this.#approvals.cancelAll("the server exited");
    const batches = new Set<Batch>();
    this.#sessionCalls.clear();
    for (const p of this.#book.drain()) {
      if (p.decisionId !== undefined) {
        const ev = this.#resultEvent(p);
        ev.result = { outcome: "error", summary: "server exited" };
        this.#trace.emit(ev);
      }
      const e = errorMsg(p.id as Id, -32000, message);
      if (p.batch) {
        p.batch.outstanding--;
        p.batch.responses.push(e);
        batches.add(p.batch);
      } else this.#sendClient(e);
    }
    for (const b of batches) this.#book.flush(b);
    this.#trace.lifecycle(`server exited with code ${code}${why ? `: ${why}` : ""}`);
    this.#o.telemetry?.lifecycle("server.exit", {
      "agentperms.server": this.#o.server,
      "process.exit.code": code,
    });
    this.#closed = true;
    this.flushTrace();
  }

  /**
   * Writes a lifecycle event (proxy start, client EOF, signals).
   * @param detail what happened
   */
  lifecycle(detail: string): void {
    this.#trace.lifecycle(detail);
  }

  // ---------------------------------------------------------------- session rules

  /** The call as session rules see it, or undefined when the policy has none (or the call is malformed). */
  #sessionCall(call: CanonicalCall, params: unknown): SessionCall | undefined {
    if (this.#sessionRules.length === 0 || call.malformed !== undefined) return undefined;
    if (call.method !== "tools/call" && call.method !== "resources/read") return undefined;
    if (this.#profile === undefined) {
      // The profile the policy resolved for this server (by its command line when the proxy started it), else
      // the first whose names match the server's name.
      this.#profile = this.#o.serverProfile !== undefined
        ? this.#o.serverProfile
        : this.#o.policy.v2?.servers.get(this.#o.server)?.profile ??
          matchServerProfile(this.#o.policy.v2?.profiles ?? BUILTIN_PROFILES, { name: this.#o.server })
            ?.profile ??
          null;
    }
    const args = ((params ?? {}) as Json).arguments;
    return sessionCallOf(call, {
      arguments: args ?? {},
      profile: this.#profile,
      annotations: call.tool !== undefined ? this.#annotations.get(call.tool) : undefined,
    });
  }

  /** decide()'s verdict, tightened by the session rules armed so far (never loosened). */
  #sessionDecision(session: SessionCall, base: Decision): Decision {
    const d = sessionVerdict(this.#sessionRules, this.#sessionState, session, base);
    // Only a tool call can wait for a human: anything else a session rule holds is denied.
    if (d.verdict === "approve" && d !== base && session.tool === "resources/read") {
      return { ...d, verdict: "deny" };
    }
    return d;
  }

  /** A forwarded call's answer came back: what it brought in now counts for the rest of the session. */
  #sessionAnswered(decisionId: string | undefined): void {
    if (decisionId === undefined || this.#sessionCalls.size === 0) return;
    const call = this.#sessionCalls.get(decisionId);
    if (call === undefined) return;
    this.#sessionCalls.delete(decisionId);
    this.#sessionState = advanceSession(this.#sessionRules, this.#sessionState, call, "answered");
  }

  // ---------------------------------------------------------------- helpers

  #sendClient(msg: unknown, raw?: Uint8Array | string): void {
    if (this.#closed) return;
    // The client reads one message per line. A server's own bytes may hold a line break inside valid JSON
    // (whitespace between tokens; an HTTP body or a multi-line SSE event): passed on as they are, a client
    // that splits lines there would read a hidden message no one judged (a sampling request, a forged answer).
    // Such bytes are written as the value that was judged instead, on one line.
    this.#o.toClient(raw !== undefined && !hasLineBreak(raw) ? raw : JSON.stringify(msg));
  }

  /** Reports a traced decision to telemetry: names, verdict and rule ids, never values. */
  #observe(
    method: string,
    tool: string | undefined,
    direction: "client" | "server",
    decision: Decision,
    event: TraceEventV1,
    t0: number,
    traceparent: unknown,
  ): void {
    // The agent chooses the tool name: only names the server listed leave the machine, so a name cannot carry
    // text to the collector.
    const named = tool === undefined ? undefined : this.#schemas.has(tool) ? tool : "(unlisted)";
    this.#o.telemetry!.decision({
      server: this.#o.server,
      method,
      ...(named !== undefined ? { tool: named } : {}),
      verdict: decision.verdict,
      ruleIds: decision.ruleIds,
      decisionId: event.decision?.decisionId ?? "",
      mode: this.#o.mode,
      direction,
      startMs: performance.timeOrigin + t0,
      durationMs: performance.now() - t0,
      ...(typeof traceparent === "string" ? { traceparent } : {}),
    });
  }

  #callEvent(m: Json, call: CanonicalCall, decision: Decision): TraceEventV1 {
    const ev = this.#trace.event("call");
    ev.direction = "client";
    ev.method = call.method;
    ev.id = "id" in m ? safeId(m.id) : null;
    if (call.tool !== undefined) ev.tool = call.tool;
    const params = (m.params ?? {}) as Json;
    const args = call.method === "tools/call" || call.method === "prompts/get"
      ? (params.arguments ?? {})
      : (m.params ?? {});
    // Redacted when the queue is flushed (see TraceRecorder.emit), before anything is written; until then the
    // event holds the raw values and must not be written anywhere else.
    ev.arguments = args;
    if (call.paths.length > 0) ev.paths = call.paths.map((p) => p.forms[0] ?? p.raw);
    if (call.urls.length > 0) ev.urls = call.urls.map((u) => u.raw);
    ev.cwd = this.#o.cwd;
    ev.decision = { ...pick(decision), decisionId: this.#trace.nextDecisionId() };
    return ev;
  }
}

const LARGE_MESSAGE_BYTES = 4 * 1024 * 1024;
const KEEP_TEXT = { keepText: true };

type SessionAnnotations = { readOnlyHint?: boolean; destructiveHint?: boolean; openWorldHint?: boolean };

/** The boolean MCP annotations of a listed tool (anything else is ignored). */
function annotationsOf(a: unknown): SessionAnnotations | undefined {
  if (a === null || typeof a !== "object") return undefined;
  const o = a as Record<string, unknown>;
  const out: SessionAnnotations = {};
  for (const k of ["readOnlyHint", "destructiveHint", "openWorldHint"] as const) {
    if (typeof o[k] === "boolean") out[k] = o[k] as boolean;
  }
  return out;
}

/** True when bytes or text hold a CR or LF (JSON strings cannot: only whitespace between tokens can). */
function hasLineBreak(raw: Uint8Array | string): boolean {
  if (typeof raw === "string") return raw.includes("\n") || raw.includes("\r");
  return raw.indexOf(0x0a) >= 0 || raw.indexOf(0x0d) >= 0;
}

/**
 * Parses a line whose bytes are dropped once decoded, and whose text is not kept past the parse (no caller
 * holds it): a large call is forwarded re-serialized from the parsed value, so only that value stays.
 */
function parseTaken(f: Extract<Frame, { kind: "line" }>): ParsedFrame {
  const text = takeLineText(f);
  return text === undefined ? notUtf8() : parseFrameText(text);
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
