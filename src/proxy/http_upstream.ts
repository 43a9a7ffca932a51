import { createParser, type EventSourceMessage } from "eventsource-parser";
import { defaultSend, fetchSend, type HttpReply, type HttpSend } from "./_http_send.ts";
import { type Frame, oversizeId } from "./framing.ts";

/** Which HTTP transport the remote speaks: `auto` tries Streamable HTTP, then the legacy HTTP+SSE one. */
export type HttpTransport = "auto" | "http" | "sse";

/** Options for {@link HttpUpstream}. */
export interface HttpUpstreamOptions {
  /** The remote MCP endpoint (Streamable HTTP), or the legacy transport's SSE URL. */
  url: URL;
  /** Which transport to speak (default auto). */
  transport?: HttpTransport;
  /**
   * Headers sent with every request (credentials, typically). Their values never appear in a diagnostic, an
   * error or a trace: only {@link describeRemote} of the URL does.
   */
  headers?: Record<string, string>;
  /** One message from the remote (a line frame), or an oversize report. */
  onFrame: (f: Frame) => void;
  /** Whether the router still waits for an answer to this request id. */
  isPending: (id: unknown) => boolean;
  /** The remote ended the session for good (legacy SSE stream closed): nothing more will arrive. */
  onLost: (why: string) => void;
  /** Diagnostics (stderr). */
  diag: (message: string) => void;
  /** Per-message cap in bytes (default 64 MiB). */
  maxMessageBytes?: number;
  /** Wait before reconnecting the event stream, ms (default 1000, or the server's `retry:`). */
  reconnectMs?: number;
  /** Reconnects in a row without an event before giving up on the event stream (default 5). */
  maxReconnects?: number;
  /** The fetch to use (tests); without it and without `send`, the client {@link defaultSend} picks. */
  fetch?: typeof fetch;
  /** The HTTP client to use (the OAuth layer's over the default one); wins over `fetch`. */
  send?: HttpSend;
}

/**
 * The remote as a user may see it: scheme, host, port and path, without user info or query (either can hold
 * a token).
 * @param url the remote URL
 * @returns `https://host/path`
 */
export function describeRemote(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

interface Peek {
  id: unknown;
  method?: string;
  isRequest: boolean;
}

/**
 * The bridge's transport to a remote MCP server: one POST per message (Streamable HTTP, MCP 2025-03-26 and
 * later), answers as JSON or as an SSE stream read event by event, the long-lived GET stream for
 * server-initiated messages (streamed, resumed with `Last-Event-ID`), `Mcp-Session-Id` and
 * `MCP-Protocol-Version` carried, DELETE at close. With `auto`, a 4xx to the first POST (initialize) falls
 * back to the legacy HTTP+SSE transport (2024-11-05: a GET event stream whose `endpoint` event names where to
 * POST). It only moves messages: the router judges them. A request that cannot be delivered, or whose answer
 * never comes, is answered with a JSON-RPC error (fail closed: the client is never left waiting).
 */
export class HttpUpstream {
  readonly #o: HttpUpstreamOptions;
  readonly #http: HttpSend;
  /** Header names in lower case; `Mcp-Session-Id` and `MCP-Protocol-Version` added once known. */
  #base: Record<string, string>;
  /** The POST headers, kept until the session id or protocol version changes. */
  #postHeaders: Record<string, string> | undefined;
  readonly #where: string;
  #mode: "http" | "sse" | undefined;
  /** Messages wait here while the transport is being chosen (auto) or the legacy endpoint is not known. */
  #gate: Promise<void> | undefined;
  #sessionId: string | undefined;
  #protocolVersion: string | undefined;
  #lastEventId: string | undefined;
  #endpoint: URL | undefined;
  #listening = false;
  #closed = false;
  readonly #inflight = new Set<Promise<void>>();

  /** @param opts see {@link HttpUpstreamOptions} */
  constructor(opts: HttpUpstreamOptions) {
    this.#o = opts;
    this.#http = opts.send ?? (opts.fetch ? fetchSend(opts.fetch) : defaultSend(opts.url));
    this.#base = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) this.#base[k.toLowerCase()] = v;
    this.#where = describeRemote(opts.url);
    const t = opts.transport ?? "auto";
    this.#mode = t === "auto" ? undefined : t;
    if (t === "sse") this.#gate = this.#openLegacy();
  }

  /** The transport in use once known: `http` (Streamable HTTP) or `sse` (legacy). */
  get mode(): "http" | "sse" | undefined {
    return this.#mode;
  }

  /** The session id the remote assigned (Streamable HTTP). */
  get sessionId(): string | undefined {
    return this.#sessionId;
  }

  /**
   * Sends one serialized JSON-RPC message to the remote.
   * @param line the message text (no newline)
   */
  send(line: string): void {
    const p = this.#send(line).catch((e) => {
      this.#fail(peek(line), `internal error: ${(e as Error).message}`);
    }).finally(() => this.#inflight.delete(p));
    this.#inflight.add(p);
  }

  async #send(line: string): Promise<void> {
    if (this.#gate) await this.#gate;
    if (this.#closed) return this.#fail(peek(line), "the bridge is shutting down");
    if (this.#mode === "sse") return this.#postLegacy(line);
    if (this.#mode === undefined) {
      // auto: the first message (initialize) decides; the others wait for it.
      let open!: () => void;
      this.#gate = new Promise((r) => open = r);
      try {
        await this.#post(line, true);
      } finally {
        this.#gate = undefined;
        open();
      }
      return;
    }
    return this.#post(line, false);
  }

  /** Streamable HTTP: one POST; the answer is JSON, an SSE stream, or 202 (nothing to answer). */
  async #post(line: string, deciding: boolean): Promise<void> {
    const info = peek(line);
    const initialize = info.method === "initialize";
    let res: HttpReply;
    try {
      this.#postHeaders ??= this.#headers({
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      });
      res = await this.#http(this.#o.url, { method: "POST", headers: this.#postHeaders, body: line });
    } catch (e) {
      return this.#fail(info, ...unreachable(e));
    }
    if (!ok(res)) {
      await res.discard();
      if (deciding && res.status >= 400 && res.status < 500) {
        // A server that only speaks the 2024-11-05 transport answers POST with 4xx (spec: backwards
        // compatibility): try its GET event stream.
        this.#o.diag(
          `[agentperms] ${this.#where} answered POST with HTTP ${res.status}; trying the legacy HTTP+SSE transport`,
        );
        try {
          await this.#openLegacy();
        } catch (e) {
          return this.#fail(
            info,
            `it answered HTTP ${res.status} to Streamable HTTP and the legacy SSE transport failed too: ${
              errorText(e)
            }`,
          );
        }
        return this.#postLegacy(line);
      }
      if (deciding) this.#mode = "http";
      return this.#fail(
        info,
        res.status === 404 && this.#sessionId
          ? "it no longer knows this session (HTTP 404); restart the client's connection to start a new one"
          : res.status >= 300 && res.status < 400
          ? `it redirected (HTTP ${res.status}) to ${
            redirectTarget(res, this.#o.url)
          }; pass that URL with --url ` +
            `(the headers are never sent to a URL you did not give)`
          : res.status === 401 || res.status === 403
          ? `it refused the credentials (HTTP ${res.status}); check the --header values (and the env variables they name)`
          : `it answered HTTP ${res.status}`,
      );
    }
    if (deciding) this.#mode = "http";
    if (initialize) {
      const sid = res.header("mcp-session-id");
      if (sid) this.#setSession(sid);
    }
    const type = res.header("content-type") ?? "";
    if (res.status === 202) {
      await res.discard();
      // The client said it is initialized: now the server may talk on its own, over the GET stream.
      if (info.method === "notifications/initialized") this.#listen();
      return;
    }
    if (type.includes("text/event-stream")) {
      let broke: string | undefined;
      try {
        const length = Number(res.header("content-length") ?? NaN);
        await this.#readEvents(
          res,
          (ev) => this.#deliver(ev.data, initialize),
          undefined,
          Number.isFinite(length) ? length : undefined,
        );
      } catch (e) {
        broke = errorText(e);
      }
      if (info.isRequest && this.#o.isPending(info.id)) {
        this.#fail(info, `it closed the answer's event stream before answering${broke ? `: ${broke}` : ""}`);
      }
      return;
    }
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      return this.#fail(info, `the answer broke off: ${errorText(e)}`);
    }
    this.#deliver(text, initialize);
    if (info.isRequest && this.#o.isPending(info.id) && text.trim() === "") {
      this.#fail(info, "it answered with an empty body");
    }
  }

  /** The long-lived GET stream (Streamable HTTP): streamed as it comes, resumed with Last-Event-ID. */
  async #listen(): Promise<void> {
    if (this.#listening || this.#mode !== "http") return;
    this.#listening = true;
    let failures = 0;
    let wait = this.#o.reconnectMs ?? 1000;
    const max = this.#o.maxReconnects ?? 5;
    while (!this.#closed) {
      let got = false;
      try {
        const res = await this.#http(this.#o.url, {
          method: "GET",
          headers: this.#headers({
            accept: "text/event-stream",
            ...(this.#lastEventId !== undefined ? { "last-event-id": this.#lastEventId } : {}),
          }),
        });
        if (res.status === 405) {
          await res.discard();
          return; // the server offers no stream of its own
        }
        if (!ok(res)) {
          await res.discard();
          throw new Error(`HTTP ${res.status}`);
        }
        await this.#readEvents(res, (ev) => {
          // Only this stream's ids: Last-Event-ID resumes the stream an event came from (a POST's id would
          // replay that POST's answers here).
          if (ev.id !== undefined) this.#lastEventId = ev.id;
          got = true;
          this.#deliver(ev.data, false);
        }, (ms) => wait = ms);
      } catch (e) {
        if (this.#closed) return;
        this.#o.diag(`[agentperms] the event stream from ${this.#where} failed: ${errorText(e)}`);
      }
      if (this.#closed) return;
      failures = got ? 0 : failures + 1;
      if (failures > max) {
        this.#o.diag(
          `[agentperms] giving up on the event stream from ${this.#where} after ${max} reconnects; ` +
            `answers to calls still arrive, server-initiated messages do not`,
        );
        return;
      }
      this.#o.diag(
        `[agentperms] the event stream from ${this.#where} ended; reconnecting${
          this.#lastEventId !== undefined ? " from the last event seen" : ""
        }`,
      );
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  /** Legacy HTTP+SSE: the GET stream carries every message; its first `endpoint` event says where to POST. */
  #openLegacy(): Promise<void> {
    this.#mode = "sse";
    const gate = new Promise<void>((resolve, reject) => {
      (async () => {
        const res = await this.#http(this.#o.url, {
          method: "GET",
          headers: this.#headers({ accept: "text/event-stream" }),
        });
        if (!ok(res)) {
          await res.discard();
          throw new Error(`GET answered HTTP ${res.status}`);
        }
        let why = "the remote server closed its event stream";
        try {
          await this.#readEvents(res, (ev) => {
            if (ev.event === "endpoint") {
              const endpoint = new URL(ev.data, this.#o.url);
              // The headers (credentials) go only where the stream came from.
              if (endpoint.origin !== this.#o.url.origin) {
                throw new Error(`its endpoint event names another origin (${endpoint.origin})`);
              }
              this.#endpoint = endpoint;
              resolve();
            } else if (ev.event === undefined || ev.event === "message") this.#deliver(ev.data, false);
          });
        } catch (e) {
          why = `${why}: ${errorText(e)}`;
        }
        if (this.#endpoint === undefined) throw new Error(`${why} before naming its endpoint`);
        if (!this.#closed) this.#o.onLost(`${why} (${this.#where})`);
      })().catch(reject);
    });
    this.#gate = gate;
    // Once the endpoint is known, messages go straight through; if it never is, each one is answered with an
    // error ("its event stream is closed") instead of waiting on a failed gate.
    const open = () => {
      if (this.#gate === gate) this.#gate = undefined;
    };
    gate.then(open, open);
    return gate;
  }

  async #postLegacy(line: string): Promise<void> {
    const info = peek(line);
    if (!this.#endpoint) return this.#fail(info, "its event stream is closed");
    let res: HttpReply;
    try {
      res = await this.#http(this.#endpoint, {
        method: "POST",
        headers: this.#headers({ "content-type": "application/json" }),
        body: line,
      });
    } catch (e) {
      return this.#fail(info, ...unreachable(e));
    }
    await res.discard();
    // The answer comes over the event stream; a refusal is answered here.
    if (!ok(res)) this.#fail(info, `it answered HTTP ${res.status}`);
  }

  /**
   * Reads an SSE answer event by event (each handed on at once: never buffered whole; a POST's answer of
   * known length is read in one piece).
   * @throws when the stream breaks, an event is over the size cap, or `onEvent` throws
   */
  async #readEvents(
    res: HttpReply,
    onEvent: (ev: EventSourceMessage) => void,
    onRetry?: (ms: number) => void,
    known?: number,
  ): Promise<void> {
    const max = this.#o.maxMessageBytes ?? 64 * 1024 * 1024;
    let failure: Error | undefined;
    const parser = createParser({
      maxBufferSize: max,
      onEvent: (ev) => {
        if (failure) return;
        try {
          onEvent(ev);
        } catch (e) {
          failure = e as Error;
        }
      },
      onRetry,
      onError: (e) => {
        if (e.type === "max-buffer-size-exceeded") failure ??= new Error(`an event is over ${max} bytes`);
      },
    });
    if (known !== undefined && known <= max) {
      // A POST's answer of known length is complete once read: one read, one feed.
      parser.feed(await res.text());
      parser.reset({ consume: true });
    } else {
      // The GET stream and answers of unknown length: each event handed on as it arrives, never buffered.
      await res.stream((text) => {
        parser.feed(text);
        if (failure) throw failure; // stops reading
      });
    }
    if (failure) throw failure;
  }

  /** One message from the remote to the router. */
  #deliver(text: string, initialize: boolean): void {
    if (text.trim() === "") return;
    const bytes = ENCODER.encode(text);
    const max = this.#o.maxMessageBytes ?? 64 * 1024 * 1024;
    if (bytes.length > max) {
      this.#o.onFrame({
        kind: "oversize",
        size: bytes.length,
        head: bytes.slice(0, 256),
        tail: bytes.slice(-256),
      });
      return;
    }
    if (initialize && this.#protocolVersion === undefined) {
      try {
        const v = JSON.parse(text)?.result?.protocolVersion;
        if (typeof v === "string") {
          this.#protocolVersion = v;
          this.#postHeaders = undefined;
        }
      } catch {
        // the router reports what it cannot read
      }
    }
    this.#o.onFrame({ kind: "line", bytes });
  }

  /** A request the remote did not answer gets a JSON-RPC error that says why and what to do. */
  #fail(info: Peek, why: string, fix?: string): void {
    const message = `AgentPerms: the remote server ${this.#where} did not answer: ${why}. Fix: ${
      fix ??
        "check --url, that the server is running and reachable from here, and the credentials in --header"
    }`;
    this.#o.diag(`[agentperms] ${message}`);
    if (!info.isRequest || !this.#o.isPending(info.id)) return;
    const text = JSON.stringify({ jsonrpc: "2.0", id: info.id, error: { code: -32000, message } });
    this.#o.onFrame({ kind: "line", bytes: new TextEncoder().encode(text) });
  }

  /** The headers of a request: the given ones (lower case names), the caller's, the session's. */
  #headers(extra: Record<string, string>): Record<string, string> {
    return { ...this.#base, ...extra, ...this.#session() };
  }

  #session(): Record<string, string> {
    const h: Record<string, string> = {};
    if (this.#sessionId !== undefined) h["mcp-session-id"] = this.#sessionId;
    if (this.#protocolVersion !== undefined) h["mcp-protocol-version"] = this.#protocolVersion;
    return h;
  }

  #setSession(sid: string): void {
    this.#sessionId = sid;
    this.#postHeaders = undefined;
  }

  /**
   * Ends the remote session: waits up to `graceMs` for answers still on their way, stops the event streams
   * and sends DELETE with the session id (Streamable HTTP; a 405 means the server keeps sessions itself).
   * @param graceMs how long to wait for requests in flight
   */
  async close(graceMs = 2000): Promise<void> {
    if (this.#closed) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.allSettled([...this.#inflight]),
      new Promise((r) => timer = setTimeout(r, graceMs)),
    ]);
    clearTimeout(timer);
    this.#closed = true;
    this.#http.abortAll();
    if (this.#mode === "http" && this.#sessionId !== undefined) {
      try {
        const res = await this.#http(this.#o.url, {
          method: "DELETE",
          headers: this.#headers({}),
          timeoutMs: graceMs,
        });
        await res.discard();
      } catch (e) {
        this.#o.diag(`[agentperms] could not end the session on ${this.#where}: ${errorText(e)}`);
      }
    }
    this.#http.close();
  }
}

const ENCODER = new TextEncoder();

/** A 2xx status. */
function ok(res: HttpReply): boolean {
  return res.status >= 200 && res.status < 300;
}

/** The id and method of an outgoing message, read cheaply (a large one only at its ends). */
function peek(line: string): Peek {
  if (line.length < PEEK_PARSE_CHARS) {
    try {
      const m = JSON.parse(line);
      if (m && typeof m === "object" && !Array.isArray(m)) {
        const method = typeof m.method === "string" ? m.method : undefined;
        return { id: m.id, method, isRequest: "id" in m && method !== undefined };
      }
    } catch {
      // not ours to judge: the router serialized it
    }
    return { id: undefined, isRequest: false };
  }
  const enc = new TextEncoder();
  const id = oversizeId({
    kind: "oversize",
    size: line.length,
    head: enc.encode(line.slice(0, 256)),
    tail: enc.encode(line.slice(-256)),
  });
  return { id, isRequest: id !== undefined };
}

const PEEK_PARSE_CHARS = 1024 * 1024;

/** Where a redirect points, shown without user info or query. */
function redirectTarget(res: HttpReply, base: URL): string {
  try {
    return describeRemote(new URL(res.header("location") ?? "", base));
  } catch {
    return "an unreadable location";
  }
}

/**
 * Why a request could not be sent, and the fix when the error names one: the OAuth layer
 * (`OAuthLoginNeededError` from oauth_bridge_fetch.ts, thrown by the fetch) says what to run.
 */
function unreachable(e: unknown): [string, string?] {
  const o = e as { name?: unknown; why?: unknown; fix?: unknown } | undefined;
  if (o?.name === "OAuthLoginNeededError" && typeof o.why === "string" && typeof o.fix === "string") {
    return [o.why, o.fix];
  }
  return [`it cannot be reached: ${errorText(e)}`];
}

/** An error's message without anything that could be a credential (fetch errors name the URL, not headers). */
function errorText(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  // A URL in a message may carry user info or a query with a token.
  return m.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/"']*@/gi, "$1").replace(
    /(\/\/[^\s"']*?)\?[^\s"']*/g,
    "$1",
  );
}
