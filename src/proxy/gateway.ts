import { DIRECT_BYTES, type DirectSink, type DirectSource } from "./_byte_io.ts";
import { idKey } from "./_json_rpc.ts";
import { concat, DEFAULT_MAX_MESSAGE_BYTES, type Frame, LineSplitter, oversizeId } from "./framing.ts";

/**
 * One server behind the gateway: starts the proxy of one MCP session (its own router, its own server process
 * or remote session, its own trace) reading the client's messages from `clientIn` and writing its answers to
 * `clientOut`, both NDJSON. Resolves with the proxy's exit code once it ends (it closes `clientOut` then).
 */
export type GatewayBackend = (streams: GatewayStreams) => Promise<number>;

/** The client side of one session's proxy (see {@link GatewayBackend}). */
export interface GatewayStreams {
  /** The client's messages, one per line. */
  clientIn: ReadableStream<Uint8Array>;
  /** The messages for the client, one per line. */
  clientOut: WritableStream<Uint8Array>;
}

/** Options for {@link Gateway}. */
export interface GatewayOptions {
  /** Server name (the `<server>` of `/mcp/<server>`) → how a session of it starts. */
  servers: ReadonlyMap<string, GatewayBackend>;
  /** The bearer token every request must carry. */
  token: string;
  /** The `host:port` (and aliases) the `Host` header may name; `Origin` may only be `http://` one of them. */
  hosts: readonly string[];
  /** A session with no open stream and nothing in flight ends after this long, ms (default 30 min). */
  idleTimeoutMs?: number;
  /**
   * Sessions open at once (default {@link DEFAULT_MAX_SESSIONS}): each runs its own proxy (and, for a stdio
   * server, its own server process), so a client that opens sessions without ending them would otherwise
   * exhaust the machine. Past it, `initialize` is answered 503 with what to do.
   */
  maxSessions?: number;
  /** Largest message accepted from the client, bytes (default 64 MiB). */
  maxMessageBytes?: number;
  /** Bytes of sent events kept per session for `Last-Event-ID` resumption (default 4 MiB). */
  replayBytes?: number;
  /**
   * How long a POST's answer may take to go as one JSON body, ms (default 50); past that, or when the server
   * says anything else first, the answer is an SSE stream (0: always a stream).
   */
  jsonWaitMs?: number;
  /** Diagnostics (stderr). */
  diag: (message: string) => void;
}

/** Sessions the gateway runs at once unless told otherwise (`--max-sessions`). */
export const DEFAULT_MAX_SESSIONS = 64;

/** The protocol versions whose `MCP-Protocol-Version` header the gateway accepts. */
export const GATEWAY_PROTOCOL_VERSIONS: readonly string[] = [
  "2024-11-05",
  "2025-03-26",
  "2025-06-18",
  "2025-11-25",
];

const enc = new TextEncoder();
const EVENT_END = enc.encode("\n\n");
const DECODER = new TextDecoder();

/** One SSE stream of a session: a POST's answer stream or the standalone GET stream (key 0). */
interface Stream {
  key: number;
  /** Where events go while a client reads this stream. */
  ctrl?: ReadableStreamDefaultController<Uint8Array>;
  /** Request ids (keys) whose answers this stream still waits for (a POST stream ends when none is left). */
  waiting: Set<string | number>;
  done: boolean;
  /**
   * A POST's messages while its HTTP answer is not chosen yet: when only the answers come, and soon, they go
   * as one JSON body (one write, no stream); anything else before them makes it an SSE stream.
   */
  pending?: { lines: Uint8Array[]; onlyAnswers: boolean; wake?: () => void };
}

/** A sent event kept for resumption. */
interface Kept {
  seq: number;
  stream: number;
  bytes: Uint8Array;
}

/** What the gateway needs to know of one client message. */
interface Peeked {
  /** Request ids (keys) in it. */
  requests: (string | number)[];
  initialize: boolean;
  /** Progress tokens (keys) the requests asked for: their progress goes on the request's stream. */
  progress?: (string | number)[];
}

/**
 * The client's messages for one session's proxy, one line per chunk. The proxy takes them through the
 * {@link DIRECT_BYTES} hand-off (streamSource does) or by reading `stream`, whichever it does first; until
 * then they wait here. The hand-off delivers each chunk in a microtask of its own, as a stream read would.
 */
class SessionInput implements DirectSource {
  readonly stream: ReadableStream<Uint8Array>;
  #ctrl!: ReadableStreamDefaultController<Uint8Array>;
  #mode: "waiting" | "direct" | "stream" = "waiting";
  #queue: Uint8Array[] = [];
  #closed = false;
  #cancelled = false;
  #onChunk: ((chunk: Uint8Array) => void) | undefined;
  #onEnd: (() => void) | undefined;

  constructor() {
    // highWaterMark 0: pull runs only once a reader asks for a chunk (never for a proxy using the hand-off).
    this.stream = new ReadableStream<Uint8Array>({
      start: (c) => void (this.#ctrl = c),
      pull: () => this.#useStream(),
    }, { highWaterMark: 0 });
    Object.defineProperty(this.stream, DIRECT_BYTES, { value: this });
  }

  /** One chunk from the client. @throws {TypeError} once the proxy cancelled its input (as enqueue would) */
  push(chunk: Uint8Array): void {
    if (this.#closed || this.#cancelled) throw new TypeError("The session's input is closed");
    if (this.#mode === "stream") this.#ctrl.enqueue(chunk);
    else if (this.#mode === "direct") this.#deliver(chunk);
    else this.#queue.push(chunk);
  }

  /** The client's end of input (the proxy sees EOF after what came before). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#mode === "stream") this.#ctrl.close();
    else if (this.#mode === "direct") queueMicrotask(() => this.#end());
  }

  /** @inheritdoc */
  attach(onChunk: (chunk: Uint8Array) => void, onEnd: () => void): void {
    if (this.#mode !== "waiting") {
      onEnd();
      return;
    }
    this.#mode = "direct";
    this.#onChunk = onChunk;
    this.#onEnd = onEnd;
    for (const chunk of this.#queue.splice(0)) this.#deliver(chunk);
    if (this.#closed) queueMicrotask(() => this.#end());
  }

  /** @inheritdoc */
  cancel(): void {
    this.#cancelled = true;
    this.#queue = [];
    this.#end();
  }

  #deliver(chunk: Uint8Array): void {
    queueMicrotask(() => {
      if (!this.#cancelled) this.#onChunk?.(chunk);
    });
  }

  #end(): void {
    const onEnd = this.#onEnd;
    this.#onEnd = undefined;
    this.#onChunk = undefined;
    onEnd?.();
  }

  #useStream(): void {
    if (this.#mode !== "waiting") return;
    this.#mode = "stream";
    for (const chunk of this.#queue.splice(0)) this.#ctrl.enqueue(chunk);
    if (this.#closed) this.#ctrl.close();
  }
}

/**
 * One MCP session of the gateway: its own proxy (router, server process or remote session, trace), its SSE
 * streams, and the events kept for resumption. Messages for the client are routed to the POST stream that
 * carried their request, progress to the stream of the request that asked for it (its token), a server request
 * to the newest open POST stream (an approval's elicitation belongs to the call that is waiting; a stdio server
 * says no more), any other notification to the standalone GET stream (kept until one connects).
 */
class GatewaySession {
  readonly id: string;
  readonly server: string;
  protocolVersion: string | undefined;
  lastActive = Date.now();
  alive = true;
  readonly #input: SessionInput;
  readonly #streams = new Map<number, Stream>();
  readonly #byRequest = new Map<string | number, Stream>();
  readonly #byProgress = new Map<string | number, Stream>();
  readonly #kept: Kept[] = [];
  #keptBytes = 0;
  /** Kept events per stream: a finished stream's record goes with its last kept event. */
  readonly #keptPer = new Map<number, number>();
  readonly #replayBytes: number;
  #seq = 0;
  #nextStream = 1;
  #initKey: string | number | undefined;
  readonly ended: Promise<void>;

  constructor(
    id: string,
    server: string,
    backend: GatewayBackend,
    opts: { maxMessageBytes: number; replayBytes: number; diag: (m: string) => void; onEnd: () => void },
  ) {
    this.id = id;
    this.server = server;
    this.#replayBytes = opts.replayBytes;
    this.#streams.set(0, { key: 0, waiting: new Set(), done: false });
    this.#input = new SessionInput();
    const clientIn = this.#input.stream;
    const splitter = new LineSplitter(Number.MAX_SAFE_INTEGER);
    const onFrame = (f: Frame) => {
      if (f.kind === "line" && f.bytes.length > 0) this.#toClient(f.bytes);
    };
    const out: DirectSink = {
      write: (chunk) => splitter.push(chunk, onFrame),
      close: () => splitter.end(onFrame),
    };
    const clientOut = new WritableStream<Uint8Array>(out);
    // The session's proxy (streamSink) writes here by a call, not through the stream.
    Object.defineProperty(clientOut, DIRECT_BYTES, { value: out });
    let why = "its proxy ended";
    this.ended = backend({ clientIn, clientOut }).then(
      (code) => void (why = `its server stopped (exit ${code})`),
      (e) => {
        why = `its server could not start: ${(e as Error).message}`;
        opts.diag(`[agentperms] gateway: session of "${server}": ${why}`);
      },
    ).finally(() => {
      this.#end(why);
      opts.onEnd();
    });
  }

  /** Feeds one client message (no raw newline) to the proxy and opens the stream for its answers, if any. */
  post(body: Uint8Array, peeked: Peeked): Stream | undefined {
    this.lastActive = Date.now();
    let stream: Stream | undefined;
    if (peeked.requests.length > 0) {
      stream = {
        key: this.#nextStream++,
        waiting: new Set(peeked.requests),
        done: false,
        pending: { lines: [], onlyAnswers: true },
      };
      this.#streams.set(stream.key, stream);
      for (const k of peeked.requests) this.#byRequest.set(k, stream);
      for (const k of peeked.progress ?? []) this.#byProgress.set(k, stream);
      if (peeked.initialize) this.#initKey = peeked.requests[0];
    }
    const line = new Uint8Array(body.length + 1);
    line.set(body);
    line[body.length] = 10;
    this.#input.push(line);
    return stream;
  }

  /**
   * Waits until a POST's HTTP answer can be chosen: all its answers are in (JSON), or something else came
   * first, or `ms` passed (an SSE stream then).
   * @returns the answer's body when it can go as JSON; else undefined: a stream, which starts with what came
   * so far (kept pending until a reader is attached: nothing may slip past in between)
   */
  async settle(stream: Stream, ms: number): Promise<Uint8Array | undefined> {
    const p = stream.pending!;
    if (!stream.done && p.onlyAnswers) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        p.wake = () => {
          if (stream.done || !p.onlyAnswers) resolve();
        };
        timer = setTimeout(resolve, ms);
      });
      clearTimeout(timer);
    }
    if (!(stream.done && p.onlyAnswers && p.lines.length > 0)) return undefined;
    stream.pending = undefined;
    if (p.lines.length === 1) return p.lines[0]!;
    // Several answers (a batch): one JSON array.
    const parts: Uint8Array[] = [enc.encode("[")];
    p.lines.forEach((l, i) => parts.push(...(i > 0 ? [enc.encode(","), l] : [l])));
    parts.push(enc.encode("]"));
    return concat(parts);
  }

  /** The standalone stream (GET). */
  get standalone(): Stream {
    return this.#streams.get(0)!;
  }

  /**
   * Attaches a reader to a stream: replays the kept events after `after` (or, for the standalone stream,
   * those no reader has seen), then what came while a POST's answer was being chosen, then streams live (or
   * closes, when the stream is done).
   */
  attach(
    stream: Stream,
    ctrl: ReadableStreamDefaultController<Uint8Array>,
    after: number | undefined,
  ): void {
    this.lastActive = Date.now();
    const from = after ?? this.#delivered.get(stream.key) ?? 0;
    for (const k of this.#kept) {
      if (k.stream === stream.key && k.seq > from) {
        ctrl.enqueue(k.bytes);
        this.#delivered.set(stream.key, k.seq);
      }
    }
    // A reader that resumed replaces the one before it (which a client that reconnects has given up on).
    if (stream.ctrl && stream.ctrl !== ctrl) {
      try {
        stream.ctrl.close();
      } catch {
        // already gone
      }
    }
    stream.ctrl = ctrl;
    // What came while a POST's answer was being chosen: its first events, sent now that a reader is attached
    // (an event too large to keep for resumption still reaches it).
    const first = stream.pending?.lines ?? [];
    stream.pending = undefined;
    for (const line of first) this.#send(stream, line, true);
    if (stream.done) {
      ctrl.close();
      stream.ctrl = undefined;
    }
  }

  /** Detaches a reader that went away (the events keep being kept). */
  detach(stream: Stream, ctrl: ReadableStreamDefaultController<Uint8Array>): void {
    if (stream.ctrl === ctrl) stream.ctrl = undefined;
    this.lastActive = Date.now();
  }

  /** The stream and sequence number of a `Last-Event-ID`, when it is still kept. */
  findEvent(lastEventId: string): { stream: Stream; seq: number } | undefined {
    if (!/^\d{1,15}$/.test(lastEventId)) return undefined;
    const seq = Number(lastEventId);
    const k = this.#kept.find((e) => e.seq === seq);
    if (!k) return undefined;
    const stream = this.#streams.get(k.stream) ?? { key: k.stream, waiting: new Set(), done: true };
    return { stream, seq };
  }

  /** Whether anything is open or in flight (an idle session may be ended). */
  get busy(): boolean {
    if (this.#byRequest.size > 0) return true;
    for (const s of this.#streams.values()) if (s.ctrl) return true;
    return false;
  }

  /** Ends the session: the proxy sees the client's EOF (its server is stopped after the grace period). */
  close(): void {
    if (!this.alive) return;
    this.alive = false;
    try {
      this.#input.close();
    } catch {
      // already closed
    }
    // The client ended the session (or the gateway stops): its open streams end now, not when the server has.
    for (const s of this.#streams.values()) {
      s.done = true;
      try {
        s.ctrl?.close();
      } catch {
        // the reader went away
      }
      s.ctrl = undefined;
      s.pending?.wake?.();
    }
  }

  /** Highest sequence delivered live per stream (a reader that attaches later gets the rest). */
  readonly #delivered = new Map<number, number>();

  /** One message from the proxy: to the stream of its request, else the newest open POST stream or GET. */
  #toClient(bytes: Uint8Array): void {
    const info = peekOutgoing(bytes);
    let stream: Stream | undefined;
    let answered: (string | number)[] = [];
    if (info.responseIds.length > 0) {
      for (const id of info.responseIds) {
        const key = idKey(id);
        const s = this.#byRequest.get(key);
        if (s) {
          stream ??= s;
          answered.push(key);
        }
      }
      if (this.#initKey !== undefined && answered.includes(this.#initKey) && info.protocolVersion) {
        this.protocolVersion = info.protocolVersion;
      }
    }
    if (!stream && info.progressToken !== undefined) {
      const s = this.#byProgress.get(idKey(info.progressToken));
      if (s && !s.done) stream = s;
    }
    if (!stream) {
      answered = [];
      // A server request (sampling, elicitation, an approval's question) most likely belongs to the newest
      // call still waiting (and its client reads that stream); a notification that names no request goes to
      // the GET stream (spec: messages on a POST stream should relate to its request), kept until one opens.
      const standalone = this.standalone;
      if (!info.request) stream = standalone;
      else {
        for (const s of this.#streams.values()) {
          if (s.key !== 0 && !s.done && (s.ctrl || s.pending) && (!stream || s.key > stream.key)) stream = s;
        }
        stream ??= standalone;
      }
    }
    this.#send(stream, bytes, answered.length > 0);
    for (const k of answered) {
      const s = this.#byRequest.get(k);
      this.#byRequest.delete(k);
      s?.waiting.delete(k);
      if (s && s.waiting.size === 0) this.#finish(s);
    }
  }

  #send(stream: Stream, line: Uint8Array, answer: boolean): void {
    const p = stream.pending;
    if (p) {
      p.lines.push(line);
      if (!answer) p.onlyAnswers = false;
      queueMicrotask(() => p.wake?.());
      return;
    }
    const seq = ++this.#seq;
    const head = enc.encode(`id: ${seq}\nevent: message\ndata: `);
    const event = new Uint8Array(head.length + line.length + 2);
    event.set(head);
    event.set(line, head.length);
    event.set(EVENT_END, head.length + line.length);
    if (event.length <= this.#replayBytes) {
      this.#kept.push({ seq, stream: stream.key, bytes: event });
      this.#keptBytes += event.length;
      this.#keptPer.set(stream.key, (this.#keptPer.get(stream.key) ?? 0) + 1);
      while (this.#keptBytes > this.#replayBytes) {
        const old = this.#kept.shift()!;
        this.#keptBytes -= old.bytes.length;
        const left = this.#keptPer.get(old.stream)! - 1;
        if (left > 0) this.#keptPer.set(old.stream, left);
        else {
          this.#keptPer.delete(old.stream);
          if (this.#streams.get(old.stream)?.done && old.stream !== 0) this.#forget(old.stream);
        }
      }
    }
    if (stream.ctrl) {
      try {
        stream.ctrl.enqueue(event);
        this.#delivered.set(stream.key, seq);
      } catch {
        stream.ctrl = undefined;
      }
    }
  }

  #finish(s: Stream): void {
    s.done = true;
    for (const [k, st] of this.#byProgress) if (st === s) this.#byProgress.delete(k);
    try {
      s.ctrl?.close();
    } catch {
      // the reader went away
    }
    s.ctrl = undefined;
    // Its events stay kept (a reader that lost the stream may still resume it); the record goes when they do.
    if (!this.#keptPer.has(s.key)) this.#forget(s.key);
  }

  #forget(key: number): void {
    this.#streams.delete(key);
    this.#delivered.delete(key);
  }

  /** The proxy ended: every request still waiting gets an error, every stream is closed. */
  #end(why: string): void {
    this.alive = false;
    for (const [key, s] of [...this.#byRequest]) {
      const id = parseKey(key);
      this.#send(
        s,
        enc.encode(JSON.stringify({
          jsonrpc: "2.0",
          id,
          error: { code: -32000, message: `AgentPerms gateway: the session ended before answering: ${why}` },
        })),
        true,
      );
      this.#byRequest.delete(key);
    }
    for (const s of this.#streams.values()) {
      s.done = true;
      s.pending?.wake?.();
      try {
        s.ctrl?.close();
      } catch {
        // gone
      }
      s.ctrl = undefined;
    }
    try {
      this.#input.close();
    } catch {
      // already closed
    }
  }
}

/** The id written back for a request key (the inverse of `idKey` for the ids a client sends). */
function parseKey(key: string | number): string | number | null {
  if (typeof key === "number") return key;
  if (key.startsWith("s")) return key.slice(1);
  return null;
}

/** Ids, method and negotiated version of a message for the client, read cheaply (a large one at its ends). */
function peekOutgoing(
  bytes: Uint8Array,
): { responseIds: unknown[]; protocolVersion?: string; request?: boolean; progressToken?: unknown } {
  if (bytes.length < PEEK_PARSE_BYTES) {
    let v: unknown;
    try {
      v = JSON.parse(DECODER.decode(bytes));
    } catch {
      return { responseIds: [] };
    }
    const msgs = Array.isArray(v) ? v : [v];
    const ids: unknown[] = [];
    let protocolVersion: string | undefined;
    let request = false;
    let progressToken: unknown;
    for (const m of msgs) {
      if (!m || typeof m !== "object") continue;
      if (!("method" in m) && "id" in m) {
        ids.push(m.id);
        const pv = (m as { result?: { protocolVersion?: unknown } }).result?.protocolVersion;
        if (typeof pv === "string") protocolVersion = pv;
      } else if ("id" in m) request = true;
      else if (m.method === "notifications/progress") progressToken = m.params?.progressToken;
    }
    return { responseIds: ids, protocolVersion, request, progressToken };
  }
  // A large message for the client is an answer (a request or notification this size would be refused).
  const id = oversizeId({
    kind: "oversize",
    size: bytes.length,
    head: bytes.subarray(0, 256),
    tail: bytes.subarray(bytes.length - 256),
  });
  return { responseIds: id === undefined ? [] : [id] };
}

/** Client messages smaller than this are parsed to be routed; larger ones are read at their ends. */
const PEEK_PARSE_BYTES = 1024 * 1024;

/** Request ids and whether it is initialize, of one client message; undefined when it is not JSON-RPC. */
function peekIncoming(text: string): Peeked | undefined {
  let v: unknown;
  if (text.length < PEEK_PARSE_BYTES) {
    try {
      v = JSON.parse(text);
    } catch {
      return undefined;
    }
  } else {
    // A large message is a call (or an answer): its id is at one end; the router reads the whole of it.
    const b = enc.encode(text.slice(0, 256));
    const t = enc.encode(text.slice(-256));
    const id = oversizeId({ kind: "oversize", size: text.length, head: b, tail: t });
    const request = /"method"\s*:/.test(text.slice(0, 4096)) || /"method"\s*:/.test(text.slice(-4096));
    return { requests: request && id !== undefined ? [idKey(id)] : [], initialize: false };
  }
  const msgs = Array.isArray(v) ? v : [v];
  if (msgs.length === 0) return undefined;
  const requests: (string | number)[] = [];
  const progress: (string | number)[] = [];
  let initialize = false;
  for (const m of msgs) {
    if (!m || typeof m !== "object" || Array.isArray(m)) return undefined;
    if (typeof m.method === "string" && "id" in m) {
      requests.push(idKey(m.id));
      if (m.method === "initialize") initialize = true;
      const token = m.params?._meta?.progressToken;
      if (typeof token === "string" || typeof token === "number") progress.push(idKey(token));
    }
  }
  return { requests, initialize, progress };
}

/**
 * The local HTTP gateway: serves every configured server as a Streamable HTTP MCP endpoint (`/mcp/<server>`:
 * POST answered with one JSON body, an SSE stream or 202, the standalone GET stream with `Last-Event-ID`
 * resumption, DELETE), each session with its own proxy. Every request must come with the bearer token
 * (compared in constant time), name the gateway in `Host`, and carry no `Origin` other than the gateway's own
 * (DNS rebinding).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Gateway } from "./gateway.ts";
 *
 * // A backend that answers every request with an empty result (a real one runs a proxy: see agentperms gateway).
 * const gateway = new Gateway({
 *   servers: new Map([["echo", async ({ clientIn, clientOut }) => {
 *     const w = clientOut.getWriter();
 *     const dec = new TextDecoder();
 *     for await (const bytes of clientIn) {
 *       for (const line of dec.decode(bytes).split("\n").filter(Boolean)) {
 *         const id = JSON.parse(line).id;
 *         await w.write(new TextEncoder().encode(JSON.stringify({ jsonrpc: "2.0", id, result: {} }) + "\n"));
 *       }
 *     }
 *     await w.close();
 *     return 0;
 *   }]]),
 *   token: "t".repeat(43),
 *   hosts: ["127.0.0.1:7341"],
 *   diag: () => {},
 * });
 * const post = (headers: Record<string, string>) =>
 *   gateway.handle(new Request("http://127.0.0.1:7341/mcp/echo", {
 *     method: "POST",
 *     headers: { host: "127.0.0.1:7341", accept: "application/json, text/event-stream", "content-type": "application/json", ...headers },
 *     body: '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}',
 *   }));
 * assert.equal((await post({})).status, 401);
 * assert.equal((await post({ authorization: `Bearer ${"t".repeat(43)}`, origin: "http://evil.example" })).status, 403);
 * const ok = await post({ authorization: `Bearer ${"t".repeat(43)}` });
 * assert.equal(ok.status, 200);
 * assert.ok(ok.headers.get("mcp-session-id"));
 * assert.deepEqual(await ok.json(), { jsonrpc: "2.0", id: 1, result: {} });
 * await gateway.close();
 * ```
 */
export class Gateway {
  readonly #o: GatewayOptions;
  readonly #sessions = new Map<string, GatewaySession>();
  readonly #token: Uint8Array;
  readonly #origins: Set<string>;
  readonly #hosts: Set<string>;
  #idleTimer: ReturnType<typeof setInterval> | undefined;

  /** @param opts see {@link GatewayOptions} */
  constructor(opts: GatewayOptions) {
    this.#o = opts;
    this.#token = enc.encode(opts.token);
    this.#hosts = new Set(opts.hosts.map((h) => h.toLowerCase()));
    this.#origins = new Set(opts.hosts.map((h) => `http://${h.toLowerCase()}`));
    const idle = opts.idleTimeoutMs ?? 30 * 60_000;
    this.#idleTimer = setInterval(() => this.#reap(idle), Math.max(10, Math.min(idle / 4, 60_000)));
    Deno.unrefTimer(this.#idleTimer);
  }

  /** Number of live sessions. */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /**
   * Answers one HTTP request.
   * @param req the request
   * @param info the connection (its `completed` promise says when a streamed answer is over)
   * @returns the response
   */
  async handle(req: Request, info?: { completed?: Promise<void> }): Promise<Response> {
    const host = (req.headers.get("host") ?? "").toLowerCase();
    if (!this.#hosts.has(host)) {
      return plain(403, "Forbidden: the Host header does not name this gateway");
    }
    const origin = req.headers.get("origin");
    if (origin !== null && !this.#origins.has(origin.toLowerCase())) {
      return plain(403, "Forbidden: requests from another origin are refused (DNS rebinding protection)");
    }
    if (!this.#authorized(req.headers.get("authorization"))) {
      return new Response("Unauthorized: send the gateway token as Authorization: Bearer <token>\n", {
        status: 401,
        headers: { "www-authenticate": 'Bearer realm="agentperms-gateway"', "content-type": "text/plain" },
      });
    }
    const url = new URL(req.url);
    const m = /^\/mcp\/([^/]+)\/?$/.exec(url.pathname);
    const server = m ? safeDecode(m[1]!) : undefined;
    if (server === undefined || !this.#o.servers.has(server)) {
      return plain(404, `Not found: serve /mcp/<server>, one of: ${[...this.#o.servers.keys()].join(", ")}`);
    }
    const pv = req.headers.get("mcp-protocol-version");
    if (pv !== null && !GATEWAY_PROTOCOL_VERSIONS.includes(pv)) {
      return rpcError(400, -32000, `Bad Request: unsupported MCP-Protocol-Version "${pv.slice(0, 40)}"`);
    }
    switch (req.method) {
      case "POST":
        return await this.#post(req, server, info);
      case "GET":
        return this.#get(req, server, info);
      case "DELETE":
        return this.#delete(req, server);
      default:
        return new Response("Method Not Allowed\n", { status: 405, headers: { allow: "GET, POST, DELETE" } });
    }
  }

  async #post(req: Request, server: string, info?: { completed?: Promise<void> }): Promise<Response> {
    const accept = req.headers.get("accept") ?? "";
    if (!accept.includes("application/json") || !accept.includes("text/event-stream")) {
      return rpcError(406, -32000, "Not Acceptable: Accept must list application/json and text/event-stream");
    }
    if (!(req.headers.get("content-type") ?? "").includes("application/json")) {
      return rpcError(415, -32000, "Unsupported Media Type: the body must be application/json");
    }
    const max = this.#o.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    const length = Number(req.headers.get("content-length") ?? NaN);
    if (length > max) {
      await req.body?.cancel().catch(() => {});
      return rpcError(413, -32000, `Payload Too Large: the message is over ${max} bytes`);
    }
    let read: Uint8Array | undefined;
    try {
      // A body of known length (every client we know sends one) in one read; else read up to the cap.
      read = Number.isFinite(length) ? new Uint8Array(await req.arrayBuffer()) : await readCapped(req, max);
    } catch {
      return rpcError(400, -32700, "Parse error: the body could not be read");
    }
    if (!read) return rpcError(413, -32000, `Payload Too Large: the message is over ${max} bytes`);
    let body = read;
    const text = DECODER.decode(body);
    const peeked = peekIncoming(text);
    if (!peeked) return rpcError(400, -32700, "Parse error: the body is not a JSON-RPC message");
    // A raw line break can only be whitespace between JSON tokens (inside a string it must be escaped): as a
    // space, the message is the same and stays one line for the proxy.
    if (body.includes(10) || body.includes(13)) body = body.map((b) => b === 10 || b === 13 ? 32 : b);
    const sid = req.headers.get("mcp-session-id");
    let session: GatewaySession | undefined;
    const headers: Record<string, string> = {};
    if (peeked.initialize) {
      if (sid !== null) {
        return rpcError(
          400,
          -32600,
          "Bad Request: initialize starts a session; send it without Mcp-Session-Id",
        );
      }
      if (peeked.requests.length !== 1) {
        return rpcError(400, -32600, "Bad Request: initialize must be sent alone");
      }
      const max = this.#o.maxSessions ?? DEFAULT_MAX_SESSIONS;
      if (this.#sessions.size >= max) {
        this.#o.diag(
          `[agentperms] gateway: refused a new session of "${server}": ${this.#sessions.size} sessions are open ` +
            `(--max-sessions ${max})`,
        );
        return rpcError(
          503,
          -32000,
          `Service Unavailable: the gateway already runs ${this.#sessions.size} sessions, its limit. Fix: end ` +
            `sessions you no longer use (HTTP DELETE with their Mcp-Session-Id; idle ones end after ` +
            `--idle-timeout), or start the gateway with a higher --max-sessions`,
          { "retry-after": "5" },
        );
      }
      session = this.#open(server);
      headers["mcp-session-id"] = session.id;
    } else {
      const found = this.#session(sid, server);
      if (found instanceof Response) return found;
      session = found;
      const want = session.protocolVersion;
      const pv = req.headers.get("mcp-protocol-version");
      if (pv !== null && want !== undefined && pv !== want) {
        return rpcError(
          400,
          -32000,
          `Bad Request: MCP-Protocol-Version "${pv}" is not the session's ("${want}")`,
        );
      }
    }
    const stream = session.post(body, peeked);
    if (!stream) return new Response(null, { status: 202 });
    // A quick answer goes as JSON (one write); anything else, or a slow answer, as an SSE stream.
    const json = await session.settle(stream, this.#o.jsonWaitMs ?? 50);
    if (json) {
      return new Response(json as Uint8Array<ArrayBuffer>, {
        status: 200,
        headers: { ...headers, "content-type": "application/json" },
      });
    }
    return this.#sse(session, stream, undefined, headers, info);
  }

  #get(req: Request, server: string, info?: { completed?: Promise<void> }): Response {
    if (!(req.headers.get("accept") ?? "").includes("text/event-stream")) {
      return rpcError(406, -32000, "Not Acceptable: Accept must list text/event-stream");
    }
    const found = this.#session(req.headers.get("mcp-session-id"), server);
    if (found instanceof Response) return found;
    const last = req.headers.get("last-event-id");
    if (last !== null) {
      const at = found.findEvent(last);
      if (at) return this.#sse(found, at.stream, at.seq, {}, info);
      // Too old (no longer kept) or not ours: the standalone stream from what is kept.
    }
    if (found.standalone.ctrl) {
      return rpcError(409, -32000, "Conflict: this session's GET stream is already open");
    }
    return this.#sse(found, found.standalone, undefined, {}, info);
  }

  #delete(req: Request, server: string): Response {
    const found = this.#session(req.headers.get("mcp-session-id"), server);
    if (found instanceof Response) return found;
    this.#sessions.delete(found.id);
    found.close();
    return new Response(null, { status: 200 });
  }

  #sse(
    session: GatewaySession,
    stream: Stream,
    after: number | undefined,
    headers: Record<string, string>,
    info?: { completed?: Promise<void> },
  ): Response {
    let ctrl!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({
      start: (c) => {
        ctrl = c;
        session.attach(stream, c, after);
      },
      cancel: () => session.detach(stream, ctrl),
    }, { highWaterMark: 0 });
    // A client that goes away: Deno settles `completed` (rejects when the body was cut short).
    info?.completed?.then(() => session.detach(stream, ctrl), () => session.detach(stream, ctrl));
    return new Response(body, {
      status: 200,
      headers: {
        ...headers,
        "content-type": "text/event-stream",
        "cache-control": "no-cache, no-transform",
        connection: "keep-alive",
      },
    });
  }

  #session(sid: string | null, server: string): GatewaySession | Response {
    if (sid === null) return rpcError(400, -32000, "Bad Request: Mcp-Session-Id header is required");
    const s = this.#sessions.get(sid);
    if (!s || !s.alive || s.server !== server) return rpcError(404, -32001, "Session not found");
    return s;
  }

  #open(server: string): GatewaySession {
    const id = sessionId();
    const s = new GatewaySession(id, server, this.#o.servers.get(server)!, {
      maxMessageBytes: this.#o.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      replayBytes: this.#o.replayBytes ?? 4 * 1024 * 1024,
      diag: this.#o.diag,
      onEnd: () => {
        if (this.#sessions.get(id) === s) this.#sessions.delete(id);
      },
    });
    this.#sessions.set(id, s);
    return s;
  }

  #authorized(header: string | null): boolean {
    const m = header === null ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (m === null) return false;
    // Compared in constant time: timing can tell only whether the length is right (a generated token's length,
    // 43, is no secret). Not hashed first to equal lengths, nor through node:crypto's timingSafeEqual: a
    // SHA-256 per request cost ~20 µs, timingSafeEqual's argument checks ~10 µs.
    const got = enc.encode(m[1]!);
    return got.length === this.#token.length && sameBytes(got, this.#token);
  }

  #reap(idleMs: number): void {
    const now = Date.now();
    for (const s of [...this.#sessions.values()]) {
      if (!s.busy && now - s.lastActive > idleMs) {
        this.#o.diag(
          `[agentperms] gateway: session of "${s.server}" idle for ${Math.round(idleMs / 1000)} s; ended`,
        );
        this.#sessions.delete(s.id);
        s.close();
      }
    }
  }

  /**
   * Ends every session and waits (up to `graceMs`) for their proxies to stop.
   * @param graceMs how long to wait
   */
  async close(graceMs = 5000): Promise<void> {
    clearInterval(this.#idleTimer);
    const all = [...this.#sessions.values()];
    this.#sessions.clear();
    for (const s of all) s.close();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.allSettled(all.map((s) => s.ended)),
      new Promise((r) => timer = setTimeout(r, graceMs)),
    ]);
    clearTimeout(timer);
  }
}

/** A request's body, read up to `max` bytes (undefined past that: the rest is not read). */
async function readCapped(req: Request, max: number): Promise<Uint8Array | undefined> {
  if (!req.body) return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  let n = 0;
  const reader = req.body.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    n += value.length;
    if (n > max) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    parts.push(value);
  }
  return parts.length === 1 ? parts[0]! : concat(parts);
}

/** Whether two byte arrays of the same length are equal, in time that does not depend on where they differ. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ (b[i] ?? 0);
  return diff === 0;
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** A new session id: 128 random bits, hex (visible ASCII, as the spec asks). */
function sessionId(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

function plain(status: number, text: string): Response {
  return new Response(text + "\n", { status, headers: { "content-type": "text/plain" } });
}

function rpcError(status: number, code: number, message: string, headers?: Record<string, string>): Response {
  return Response.json({ jsonrpc: "2.0", id: null, error: { code, message } }, { status, headers });
}
