import net from "node:net";
import { Buffer } from "node:buffer";
import { lookup } from "node:dns/promises";
import { AgentPermsError } from "../errors.ts";

/** Where a contained server asked to connect, after the proxy resolved the name. */
export interface EgressTarget {
  /** The host as the client named it: lowercased, IPv6 without brackets, no trailing dot. */
  host: string;
  /** The TCP port (0-65535; 0 is passed through, the judge decides). */
  port: number;
  /**
   * Every address the name resolved to (IPv6 compressed, IPv4-mapped IPv6 written as IPv4); for an IP
   * literal, the literal itself. Never empty when the judge is called.
   */
  addresses: string[];
}

/** The judge's answer for one {@link EgressTarget}. */
export interface EgressJudgement {
  /** True to open the connection; anything else refuses it. */
  allow: boolean;
  /** One sentence; sent to the client on refusal (`AgentPerms egress: <reason>`). */
  reason: string;
  /** The rules that decided it. */
  ruleIds: string[];
  /** Which of `target.addresses` to dial; default the first. An address not in the list refuses. */
  address?: string;
}

/** One connection attempt, reported once through {@link StartEgressProxyOptions.onEvent}. */
export interface EgressEvent {
  /** When the attempt started (ISO 8601). */
  time: string;
  /** How the client asked: HTTP CONNECT, a plain HTTP proxy request, or SOCKS5. */
  protocol: "connect" | "http" | "socks5";
  /** The target host as judged (see {@link EgressTarget.host}). */
  host: string;
  /** The target port. */
  port: number;
  /** The resolved addresses (empty when the name did not resolve or was refused before resolving). */
  addresses: string[];
  /** The address dialled (allowed attempts only). */
  dialled?: string;
  /** Whether the judge allowed it. */
  allowed: boolean;
  /** The judge's reason, or the proxy's own ("cannot resolve", "invalid host name", …). */
  reason: string;
  /** The judge's rule ids (empty when the proxy refused on its own). */
  ruleIds: string[];
  /** Why an allowed connection could not be opened (the dial failed). */
  error?: string;
  /** Allowed attempts: from the start of the attempt until the connection closed. */
  durationMs?: number;
  /** Allowed attempts: bytes sent from the client to the destination (a rewritten request head included). */
  bytesUp?: number;
  /** Allowed attempts: bytes sent from the destination to the client. */
  bytesDown?: number;
}

/** Bounds for {@link startEgressProxy}; the defaults suit production, tests shorten them. */
export interface EgressLimits {
  /** Concurrent client connections; more are answered 503 and closed. Default 256. */
  maxConnections?: number;
  /**
   * Milliseconds for each wait before a tunnel opens: the request head (or SOCKS5 handshake) to arrive,
   * the name to resolve, the dial to connect. Default 10 000.
   */
  timeoutMs?: number;
}

/** Options for {@link startEgressProxy}. */
export interface StartEgressProxyOptions {
  /**
   * A Unix socket path (created mode 0600, removed on close; at most 100 bytes; an existing path must be a
   * stale socket) or a TCP address (port 0 picks a free port).
   */
  listen: { path: string } | { hostname: string; port: number };
  /** Synchronous and pure; called once per attempt after DNS resolution. A judge that throws refuses. */
  judge: (target: EgressTarget) => EgressJudgement;
  /**
   * Judges a name and port before it is resolved (IP literals skip it): a name refused here is never looked
   * up. Synchronous; one that throws refuses.
   */
  admit?: (target: { host: string; port: number }) => EgressJudgement;
  /** Resolves a name to addresses; default `node:dns/promises` `lookup` (getaddrinfo: honours /etc/hosts). */
  resolve?: (host: string) => Promise<string[]>;
  /** A hosts(5)-format file read once at start; a name listed there is not passed to `resolve`. */
  hostsFile?: string;
  /**
   * Called exactly once per attempt: at refusal, when the dial fails (`error`), or for an open connection
   * when it ends (with bytes and duration). Exceptions it throws are ignored.
   */
  onEvent?: (e: EgressEvent) => void;
  /** Connection and time bounds. */
  limits?: EgressLimits;
}

/** A running egress proxy. */
export interface EgressProxy {
  /** Where it listens (the TCP port is the one actually bound). */
  address: { path: string } | { hostname: string; port: number };
  /** Stops listening, closes every open connection, waits for their events and removes the Unix socket. */
  close(): Promise<void>;
}

const MAX_HEAD_BYTES = 16 * 1024;
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_CONNECTIONS = 256;
/** Linux `sun_path` holds 108 bytes including the terminating NUL. */
const SUN_PATH_MAX = 107;
const TOKEN_REGEXP = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const REQUEST_LINE_REGEXP = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) HTTP\/1\.([01])$/;
const HEADER_LINE_REGEXP = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/;
const AUTHORITY_REGEXP = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]@/?#\s]+)(?::(\d{1,5}))?$/;
const HTTP_URL_REGEXP = /^http:\/\/([^/?#]*)([/?][^#]*)?$/i;
const SCHEME_REGEXP = /^[a-z][a-z0-9+.-]*:\/\//i;
const HOSTNAME_REGEXP = /^(?=.{1,253}$)[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63})*$/;
/** WHATWG "ends in a number": `127.1`, `2130706433` or `0x7f.1` are IPv4 to some resolvers, not names. */
const NUMERIC_LABEL_REGEXP = /^(?:\d+|0x[0-9a-f]*)$/;
const MAPPED_IPV4_REGEXP = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;
/** Hop-by-hop headers a proxy must not forward (RFC 9110 §7.6.1), plus `Host`, which it rewrites. */
const DROPPED_HEADERS = new Set([
  "connection",
  "proxy-connection",
  "keep-alive",
  "proxy-authorization",
  "proxy-authenticate",
  "te",
  "upgrade",
  "host",
]);
/** Framing headers stay even when `Connection` names them: the body is piped as the client framed it. */
const KEPT_HEADERS = new Set(["content-length", "transfer-encoding"]);

/**
 * Starts the egress proxy a sandboxed MCP server's network traffic goes through. One listener speaks HTTP
 * `CONNECT` (HTTPS_PROXY clients), plain HTTP proxy requests with an absolute `http://` URI (HTTP_PROXY
 * clients; rewritten to origin form, `Host` set from the URI, hop-by-hop headers dropped, `Connection: close`)
 * and SOCKS5 (no authentication, CONNECT only; ALL_PROXY=socks5h:// clients), told apart by the first byte.
 *
 * The proxy resolves every name itself (hosts file, then `resolve`), calls `judge` once with all the
 * addresses, and dials exactly the address the judge chose, so a name cannot re-resolve elsewhere between
 * judging and dialling. Refusals are `403 Forbidden` with `AgentPerms egress: <reason>` (SOCKS5 reply 0x02;
 * 0x04 when the name does not resolve). The judge sees `0.0.0.0` and `::` as they are: on Linux they reach
 * the local host, so a judge must treat them as loopback.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startEgressProxy } from "./egress_proxy.ts";
 * const seen: string[] = []; // one line per connection attempt, for the trace
 * const proxy = await startEgressProxy({
 *   listen: { hostname: "127.0.0.1", port: 0 },
 *   judge: (t) =>
 *     t.addresses.some((a) => a.startsWith("169.254."))
 *       ? { allow: false, reason: "Metadata addresses are never reachable", ruleIds: ["guard/metadata-ip"] }
 *       : { allow: true, reason: "Allowed", ruleIds: [] },
 *   onEvent: (e) => seen.push(`${e.host} ${e.allowed ? "allowed" : "refused"}`),
 * });
 * const { port } = proxy.address as { port: number };
 * // Start the contained server with HTTPS_PROXY / HTTP_PROXY = http://127.0.0.1:<port>, ALL_PROXY = socks5h://…
 * assert.ok(port > 0);
 * await proxy.close();
 * ```
 *
 * @param opts listen address, judge, optional resolver, hosts file, event callback and limits
 * @returns the bound address and a `close()` that ends every connection
 * @throws {AgentPermsError} `io_failed` when the hosts file cannot be read or the listener cannot be opened
 *   (path too long, path exists and is not a stale socket, socket in use, address in use)
 */
export async function startEgressProxy(opts: StartEgressProxyOptions): Promise<EgressProxy> {
  const hosts = opts.hostsFile === undefined
    ? new Map<string, string[]>()
    : await readHostsFile(opts.hostsFile);
  const resolve = opts.resolve ?? defaultResolve;
  const timeoutMs = opts.limits?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxConnections = opts.limits?.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  const sockets = new Set<net.Socket>();
  const settled = new Set<Promise<void>>();
  let clients = 0;
  let closing = false;
  let signalClosing!: () => void;
  const closingSignal = new Promise<void>((r) => (signalClosing = r));

  /** Every socket is tracked so close() can end it and wait for its `close` event (and so its timers). */
  const track = (sock: net.Socket): void => {
    sockets.add(sock);
    sock.on("error", () => {/* handled where it matters; an unhandled `error` would crash the process */});
    const done = new Promise<void>((r) => sock.once("close", () => r()));
    settled.add(done);
    void done.then(() => {
      sockets.delete(sock);
      settled.delete(done);
    });
  };

  const emit = (e: EgressEvent): void => {
    try {
      opts.onEvent?.(e);
    } catch { /* a failing logger must not change the connection */ }
  };

  /** Resolves, judges and picks the address; never throws. */
  const assess = async (host: string, port: number): Promise<Assessment> => {
    const literal = canonicalAddress(host);
    // The name is judged before any lookup: a DNS query for a name the policy never allows would carry
    // data out (`<secret>.attacker.example`) from a server that has no network, and its answer back.
    if (literal === undefined && opts.admit) {
      let a: EgressJudgement;
      try {
        a = opts.admit({ host, port });
      } catch (e) {
        return {
          host,
          port,
          addresses: [],
          allow: false,
          reason: `the judge failed: ${errorText(e)}`,
          ruleIds: [],
        };
      }
      if (a?.allow !== true) {
        return {
          host,
          port,
          addresses: [],
          allow: false,
          reason: typeof a?.reason === "string" && a.reason ? a.reason : "not allowed",
          ruleIds: Array.isArray(a?.ruleIds) ? a.ruleIds.map(String) : [],
        };
      }
    }
    let addresses: string[];
    if (literal !== undefined) addresses = [literal];
    else {
      const listed = hosts.get(host);
      addresses = listed ?? normalizeAddresses(
        await raceTimeout(
          Promise.resolve().then(() => resolve(host)).catch(() => [] as string[]),
          timeoutMs,
          closingSignal,
          [],
        ),
      );
    }
    const base = { host, port, addresses };
    if (addresses.length === 0) return { ...base, allow: false, reason: "cannot resolve", ruleIds: [] };
    let j: EgressJudgement;
    try {
      j = opts.judge({ host, port, addresses: [...addresses] });
    } catch (e) {
      return { ...base, allow: false, reason: `the judge failed: ${errorText(e)}`, ruleIds: [] };
    }
    const ruleIds = Array.isArray(j?.ruleIds) ? j.ruleIds.map(String) : [];
    const reason = typeof j?.reason === "string" ? j.reason : "";
    if (j?.allow !== true) return { ...base, allow: false, reason: reason || "not allowed", ruleIds };
    const address = j.address ?? addresses[0]!;
    if (!addresses.includes(address)) {
      return {
        ...base,
        allow: false,
        reason: `the judge chose "${address}", which "${host}" did not resolve to`,
        ruleIds,
      };
    }
    return { ...base, allow: true, reason, ruleIds, address };
  };

  const dial = (address: string, port: number): Promise<net.Socket> =>
    new Promise((resolveDial, rejectDial) => {
      if (closing) return rejectDial(new Error("the proxy is closing"));
      const up = net.connect({ host: address, port, allowHalfOpen: true });
      track(up);
      const timer = setTimeout(() => {
        up.destroy();
        rejectDial(new Error(`no connection within ${timeoutMs} ms`));
      }, timeoutMs);
      up.once("connect", () => {
        clearTimeout(timer);
        up.setNoDelay(true);
        resolveDial(up);
      });
      up.once("error", (e) => {
        clearTimeout(timer);
        rejectDial(e);
      });
      up.once("close", () => {
        clearTimeout(timer);
        rejectDial(new Error("the connection closed before it opened"));
      });
    });

  /** Runs one attempt from judgement to the end of the tunnel; `answer` speaks the client's protocol. */
  const attempt = async (
    client: net.Socket,
    intake: Intake,
    protocol: EgressEvent["protocol"],
    target: { host: string; port: number } | { invalid: string; port: number },
    answer: Answerer,
    firstUp?: Buffer,
  ): Promise<void> => {
    const time = new Date().toISOString();
    const t0 = performance.now();
    if ("invalid" in target) {
      emit({
        time,
        protocol,
        host: target.invalid,
        port: target.port,
        addresses: [],
        allowed: false,
        reason: "invalid host name",
        ruleIds: [],
      });
      return answer.refuse("invalid host name", "invalid");
    }
    const a = await assess(target.host, target.port);
    const event: EgressEvent = {
      time,
      protocol,
      host: a.host,
      port: a.port,
      addresses: a.addresses,
      allowed: a.allow,
      reason: a.reason,
      ruleIds: a.ruleIds,
    };
    if (!a.allow || a.address === undefined) {
      emit(event);
      return answer.refuse(event.reason, a.addresses.length === 0 ? "unresolved" : "refused");
    }
    let up: net.Socket;
    try {
      if (client.destroyed) throw new Error("the client went away");
      event.dialled = a.address;
      up = await dial(a.address, a.port);
    } catch (e) {
      event.error = errorText(e);
      event.durationMs = performance.now() - t0;
      emit(event);
      return answer.fail(`cannot connect to ${a.host}:${a.port}: ${event.error}`);
    }
    if (client.destroyed) {
      up.destroy();
      event.error = "the client went away";
      event.durationMs = performance.now() - t0;
      emit(event);
      return;
    }
    answer.open();
    const bytes = await tunnel(client, up, intake, firstUp);
    event.durationMs = performance.now() - t0;
    event.bytesUp = bytes.up;
    event.bytesDown = bytes.down;
    emit(event);
  };

  const serveHttp = async (client: net.Socket, intake: Intake): Promise<void> => {
    let headEnd = -1;
    const why = await intake.until((b) => {
      headEnd = b.indexOf("\r\n\r\n");
      return headEnd >= 0 || b.length > MAX_HEAD_BYTES || visiblyMalformed(b);
    });
    if (why === "ended") return endNow(client);
    if (why === "timeout") return reply(client, 400, `request head not received within ${timeoutMs} ms`);
    if (headEnd < 0 && visiblyMalformed(intake.peek())) return reply(client, 400, "malformed request line");
    if (headEnd < 0 || headEnd + 4 > MAX_HEAD_BYTES) {
      return reply(client, 400, `request head larger than ${MAX_HEAD_BYTES} bytes`);
    }
    const head = parseHead(intake.take(headEnd + 4).subarray(0, headEnd).toString("latin1"));
    if (typeof head === "string") return reply(client, 400, head);
    intake.pause();
    if (head.method === "CONNECT") {
      const auth = parseAuthority(head.target, true);
      if (auth === undefined) return reply(client, 400, `invalid CONNECT target "${head.target}"`);
      return await attempt(client, intake, "connect", auth, {
        refuse: (reason, kind) => reply(client, kind === "invalid" ? 400 : 403, reason),
        fail: (message) => reply(client, 502, message),
        open: () => client.write("HTTP/1.1 200 Connection Established\r\n\r\n"),
      });
    }
    const url = HTTP_URL_REGEXP.exec(head.target);
    if (url === null) {
      const msg = SCHEME_REGEXP.test(head.target)
        ? "only http:// URLs are proxied (use CONNECT for https)"
        : `not a proxy request: "${head.target.slice(0, 200)}"`;
      return reply(client, 400, msg);
    }
    const auth = parseAuthority(url[1]!, false);
    if (auth === undefined) return reply(client, 400, `invalid URL host "${url[1]}"`);
    const path = url[2] === undefined ? "/" : url[2].startsWith("?") ? "/" + url[2] : url[2];
    const connectionTokens = new Set(
      head.headers.filter(([n]) => n.toLowerCase() === "connection")
        .flatMap(([, v]) => v.split(",").map((t) => t.trim().toLowerCase())),
    );
    let out = `${head.method} ${path} HTTP/1.${head.minor}\r\nHost: ${url[1]!.toLowerCase()}\r\n`;
    for (const [name, value] of head.headers) {
      const lower = name.toLowerCase();
      if (DROPPED_HEADERS.has(lower) || (connectionTokens.has(lower) && !KEPT_HEADERS.has(lower))) continue;
      out += `${name}: ${value}\r\n`;
    }
    out += "Connection: close\r\n\r\n";
    return await attempt(client, intake, "http", auth, {
      refuse: (reason, kind) => reply(client, kind === "invalid" ? 400 : 403, reason),
      fail: (message) => reply(client, 502, message),
      open: () => {},
    }, Buffer.from(out, "latin1"));
  };

  const serveSocks = async (client: net.Socket, intake: Intake): Promise<void> => {
    const need = async (n: number): Promise<boolean> =>
      (await intake.until((b) => b.length >= n)) === "ready";
    if (!await need(2)) return endNow(client);
    const nMethods = intake.peek()[1]!;
    if (!await need(2 + nMethods)) return endNow(client);
    const methods = intake.take(2 + nMethods).subarray(2);
    if (!methods.includes(0x00)) return socksReply(client, 0xff, true);
    client.write(Buffer.from([0x05, 0x00]));
    if (!await need(5)) return endNow(client);
    const [ver, cmd, , atyp, len] = intake.peek();
    if (ver !== 0x05) return endNow(client);
    const addrLen = atyp === 0x01 ? 4 : atyp === 0x04 ? 16 : atyp === 0x03 ? 1 + len! : -1;
    if (addrLen < 0) return socksReply(client, 0x08);
    if (!await need(4 + addrLen + 2)) return endNow(client);
    const req = intake.take(4 + addrLen + 2);
    intake.pause();
    if (cmd !== 0x01) return socksReply(client, 0x07);
    const port = req.readUInt16BE(4 + addrLen);
    let raw: string;
    if (atyp === 0x01) raw = [...req.subarray(4, 8)].join(".");
    else if (atyp === 0x04) {
      const g: string[] = [];
      for (let i = 0; i < 8; i++) g.push(req.readUInt16BE(4 + 2 * i).toString(16));
      raw = g.join(":");
    } else raw = req.subarray(5, 4 + addrLen).toString("latin1");
    const host = normalizeHost(raw);
    return await attempt(
      client,
      intake,
      "socks5",
      host === undefined ? { invalid: raw.slice(0, 255), port } : { host, port },
      {
        refuse: (_reason, kind) => socksReply(client, kind === "unresolved" ? 0x04 : 0x02),
        fail: () => socksReply(client, 0x05),
        open: () => client.write(Buffer.from([0x05, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0])),
      },
    );
  };

  const serve = async (client: net.Socket): Promise<void> => {
    const intake = new Intake(client, timeoutMs);
    const why = await intake.until((b) => b.length >= 1);
    if (why !== "ready") return endNow(client);
    if (intake.peek()[0] === 0x05) await serveSocks(client, intake);
    else await serveHttp(client, intake);
  };

  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    track(client);
    if (closing) return void client.destroy();
    clients++;
    client.once("close", () => clients--);
    client.setNoDelay(true);
    if (clients > maxConnections) return reply(client, 503, "too many connections");
    serve(client).catch(() => client.destroy());
  });
  server.on("error", () => {/* listen errors are reported by listen(); later ones must not crash */});

  let address: EgressProxy["address"];
  let socketPath: string | undefined;
  let socketIno: number | null = null;
  if ("path" in opts.listen) {
    socketPath = opts.listen.path;
    socketIno = await listenUnix(server, socketPath);
    address = { path: socketPath };
  } else {
    const { hostname, port } = opts.listen;
    await new Promise<void>((ok, fail) => {
      server.once("error", (e) =>
        fail(
          new AgentPermsError("io_failed", `Cannot listen on "${hostname}:${port}": ${errorText(e)}`, {
            cause: e,
          }),
        ));
      server.listen({ host: hostname, port }, () => ok());
    });
    const bound = server.address();
    address = { hostname, port: typeof bound === "object" && bound !== null ? bound.port : port };
  }

  let closed: Promise<void> | undefined;
  return {
    address,
    close() {
      closed ??= (async () => {
        closing = true;
        signalClosing();
        const serverClosed = new Promise<void>((r) => server.close(() => r()));
        for (const s of sockets) s.destroy();
        while (settled.size > 0) await Promise.all([...settled]);
        await serverClosed;
        if (socketPath !== undefined) {
          // Remove only our own socket: someone may have replaced the path since.
          try {
            if (Deno.lstatSync(socketPath).ino === socketIno) await Deno.remove(socketPath);
          } catch { /* already gone */ }
        }
      })();
      return closed;
    },
  };
}

interface Assessment extends EgressTarget {
  allow: boolean;
  reason: string;
  ruleIds: string[];
  address?: string;
}

interface Answerer {
  refuse(reason: string, kind: "invalid" | "unresolved" | "refused"): void;
  fail(message: string): void;
  open(): void;
}

/**
 * Collects the bytes of a handshake (request head or SOCKS5 negotiation) under one deadline. Extra bytes the
 * client sends early (a TLS ClientHello after CONNECT) stay buffered and go upstream first.
 */
class Intake {
  #buf: Buffer = Buffer.alloc(0);
  #wake: (() => void) | undefined;
  #state: "open" | "ended" | "timeout" = "open";
  #timer: ReturnType<typeof setTimeout>;
  /** The client sent FIN during the handshake. */
  ended = false;

  constructor(private readonly sock: net.Socket, timeoutMs: number) {
    this.#timer = setTimeout(() => {
      this.#state = "timeout";
      this.#notify();
    }, timeoutMs);
    sock.on("data", this.#onData);
    sock.on("end", this.#onEnd);
    sock.on("close", this.#onClose);
  }

  #onData = (chunk: Buffer): void => {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    // Backpressure: a handshake never needs more than the head limit plus one read.
    if (this.#buf.length > MAX_HEAD_BYTES) this.sock.pause();
    this.#notify();
  };
  #onEnd = (): void => {
    this.ended = true;
    if (this.#state === "open") this.#state = "ended";
    this.#notify();
  };
  #onClose = (): void => {
    clearTimeout(this.#timer);
    if (this.#state === "open") this.#state = "ended";
    this.#notify();
  };
  #notify(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  /** Waits until `ready(buffer)` holds; "ended" or "timeout" when it cannot any more. */
  async until(ready: (b: Buffer) => boolean): Promise<"ready" | "ended" | "timeout"> {
    while (true) {
      if (ready(this.#buf)) return "ready";
      if (this.#state !== "open") return this.#state;
      await new Promise<void>((r) => (this.#wake = r));
    }
  }

  /** The buffered bytes, not consumed. */
  peek(): Buffer {
    return this.#buf;
  }

  /** Consumes and returns the first `n` buffered bytes. */
  take(n: number): Buffer {
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }

  /** Handshake done: stop the deadline and stop reading until the tunnel opens. */
  pause(): void {
    clearTimeout(this.#timer);
    this.sock.pause();
  }

  /** Hands the socket over: detaches and returns whatever arrived after the handshake. */
  detach(): Buffer {
    clearTimeout(this.#timer);
    this.sock.pause();
    this.sock.off("data", this.#onData);
    this.sock.off("end", this.#onEnd);
    this.sock.off("close", this.#onClose);
    const rest = this.#buf;
    this.#buf = Buffer.alloc(0);
    return rest;
  }
}

/** Pipes both ways until both sockets closed; counts the bytes. */
function tunnel(
  client: net.Socket,
  up: net.Socket,
  intake: Intake,
  firstUp: Buffer | undefined,
): Promise<{ up: number; down: number }> {
  return new Promise((resolve) => {
    const bytes = { up: 0, down: 0 };
    let open = 2;
    const done = () => {
      if (--open === 0) resolve(bytes);
    };
    const kill = () => {
      client.destroy();
      up.destroy();
    };
    for (const [a, b] of [[client, up], [up, client]] as const) {
      if (a.destroyed) queueMicrotask(done);
      else a.once("close", done);
      a.once("error", kill);
      // Once one side is fully closed nothing can flow towards it: finish the other side's output and close.
      a.once("close", () => {
        if (b.writableFinished || b.destroyed) b.destroy();
        else {
          b.once("finish", () => b.destroy());
          if (!b.writableEnded) b.end();
        }
      });
    }
    const leftover = intake.detach();
    for (const chunk of [firstUp, leftover]) {
      if (chunk !== undefined && chunk.length > 0) {
        bytes.up += chunk.length;
        up.write(chunk);
      }
    }
    client.on("data", (c: Buffer) => (bytes.up += c.length));
    up.on("data", (c: Buffer) => (bytes.down += c.length));
    up.pipe(client);
    if (intake.ended) up.end();
    else client.pipe(up);
    client.resume();
  });
}

/** Sends a short HTTP response, stops listening to the client and closes. */
function reply(client: net.Socket, status: number, reason: string): void {
  const text = STATUS_TEXT[status] ?? "Error";
  const body = Buffer.from(`AgentPerms egress: ${reason.replace(/[\r\n]+/g, " ")}\n`, "utf8");
  const head = `HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
    `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
  finish(client, Buffer.concat([Buffer.from(head, "latin1"), body]));
}

function socksReply(client: net.Socket, code: number, methodReply = false): void {
  finish(client, Buffer.from(methodReply ? [0x05, code] : [0x05, code, 0x00, 0x01, 0, 0, 0, 0, 0, 0]));
}

/**
 * Writes the last bytes and half-closes; unread client bytes are drained (closing on unread data would send
 * a reset that can destroy the response before the client reads it) for at most two seconds.
 */
function finish(client: net.Socket, last: Buffer): void {
  if (client.destroyed) return;
  client.removeAllListeners("data");
  client.on("data", () => {});
  client.once("end", () => client.destroy());
  const timer = setTimeout(() => client.destroy(), 2000);
  client.once("close", () => clearTimeout(timer));
  client.end(last);
  client.resume();
}

/** Fails fast on bytes that cannot become a request line (TLS sent to the proxy port, binary noise). */
function visiblyMalformed(b: Buffer): boolean {
  const first = b[0];
  if (first === undefined) return false;
  if (!((first >= 0x41 && first <= 0x5a) || (first >= 0x61 && first <= 0x7a))) return true;
  const eol = b.indexOf("\r\n");
  return eol >= 0 && !REQUEST_LINE_REGEXP.test(b.subarray(0, eol).toString("latin1"));
}

function endNow(client: net.Socket): void {
  client.destroy();
}

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  403: "Forbidden",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

interface Head {
  method: string;
  target: string;
  minor: string;
  headers: Array<[string, string]>;
}

/** Parses a request head (without the final CRLFCRLF); a string is the reason it is malformed. */
function parseHead(text: string): Head | string {
  const lines = text.split("\r\n");
  const m = REQUEST_LINE_REGEXP.exec(lines[0] ?? "");
  if (m === null) return "malformed request line";
  const headers: Array<[string, string]> = [];
  for (const line of lines.slice(1)) {
    // Bare CR/LF or NUL inside a line and obsolete line folding are smuggling vectors: refuse them.
    if (/[\r\n\0]/.test(line)) return "malformed header line";
    const h = HEADER_LINE_REGEXP.exec(line);
    if (h === null || !TOKEN_REGEXP.test(h[1]!)) return "malformed header line";
    headers.push([h[1]!, h[2]!]);
  }
  return { method: m[1]!, target: m[2]!, minor: m[3]!, headers };
}

/** `host:port` (port required for CONNECT, default 80 for http URLs); invalid names come back as `invalid`. */
function parseAuthority(
  text: string,
  portRequired: boolean,
): { host: string; port: number } | { invalid: string; port: number } | undefined {
  const m = AUTHORITY_REGEXP.exec(text);
  if (m === null) return undefined;
  if (m[2] === undefined && portRequired) return undefined;
  const port = m[2] === undefined ? 80 : Number(m[2]);
  if (port > 65535) return undefined;
  const raw = m[1]!.startsWith("[") ? m[1]!.slice(1, -1) : m[1]!;
  if (m[1]!.startsWith("[") && net.isIP(raw) !== 6) return undefined;
  const host = normalizeHost(raw);
  return host === undefined ? { invalid: raw.toLowerCase(), port } : { host, port };
}

/**
 * Lowercases, drops one trailing dot and canonicalizes IP literals; `undefined` for anything that is neither
 * a plain IP literal nor a DNS name (zone ids, numeric forms like `127.1`, spaces, non-ASCII).
 */
function normalizeHost(raw: string): string | undefined {
  let h = raw.toLowerCase();
  if (h.endsWith(".")) h = h.slice(0, -1);
  const v = net.isIP(h);
  if (v === 4) return h;
  if (v === 6) return canonicalIpv6(h);
  if (!HOSTNAME_REGEXP.test(h)) return undefined;
  const last = h.slice(h.lastIndexOf(".") + 1);
  return NUMERIC_LABEL_REGEXP.test(last) ? undefined : h;
}

function canonicalIpv6(h: string): string | undefined {
  if (h.includes("%")) return undefined;
  try {
    return new URL(`http://[${h}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

/** The address to judge and dial for an IP literal: canonical, IPv4-mapped IPv6 as IPv4. */
function canonicalAddress(host: string): string | undefined {
  const v = net.isIP(host);
  if (v === 4) return host;
  if (v !== 6) return undefined;
  const c = canonicalIpv6(host);
  if (c === undefined) return undefined;
  const m = MAPPED_IPV4_REGEXP.exec(c);
  if (m === null) return c;
  const hi = parseInt(m[1]!, 16);
  const lo = parseInt(m[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

function normalizeAddresses(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  const out: string[] = [];
  for (const a of list) {
    const c = typeof a === "string" ? canonicalAddress(a) : undefined;
    if (c !== undefined && !out.includes(c)) out.push(c);
  }
  return out;
}

async function defaultResolve(host: string): Promise<string[]> {
  const found = await lookup(host, { all: true, verbatim: true });
  return found.map((f) => f.address);
}

/** Reads a hosts(5) file: `address name [aliases…]`, `#` comments; a name may appear on several lines. */
async function readHostsFile(path: string): Promise<Map<string, string[]>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new AgentPermsError("io_failed", `Cannot read hosts file "${path}": ${errorText(e)}`, { cause: e });
  }
  const map = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const fields = line.replace(/#.*/, "").trim().split(/\s+/).filter((f) => f !== "");
    const address = fields[0] === undefined ? undefined : canonicalAddress(fields[0]);
    if (address === undefined) continue;
    for (const name of fields.slice(1)) {
      const host = normalizeHost(name);
      if (host === undefined) continue;
      const list = map.get(host) ?? [];
      if (!list.includes(address)) list.push(address);
      map.set(host, list);
    }
  }
  return map;
}

/** Binds privately, then moves the socket into place, so it is never reachable with looser permissions. */
async function listenUnix(server: net.Server, path: string): Promise<number | null> {
  if (new TextEncoder().encode(path).length > 100) {
    throw new AgentPermsError(
      "io_failed",
      `Egress proxy socket path "${path}" is too long for a Unix socket`,
      {
        hint: "Use a shorter directory (Unix socket paths are limited to about 100 bytes)",
      },
    );
  }
  let existing: Deno.FileInfo | undefined;
  try {
    existing = await Deno.lstat(path);
  } catch { /* free */ }
  if (existing !== undefined) {
    if (!existing.isSocket) {
      throw new AgentPermsError("io_failed", `Cannot serve the egress proxy at "${path}": the path exists`);
    }
    if (await socketAnswers(path)) {
      throw new AgentPermsError(
        "io_failed",
        `Cannot serve the egress proxy at "${path}": the socket is in use`,
      );
    }
  }
  const slash = path.lastIndexOf("/");
  const dir = slash < 0 ? "." : slash === 0 ? "/" : path.slice(0, slash);
  let tmpDir: string;
  try {
    tmpDir = await Deno.makeTempDir({ dir, prefix: ".ap-egress-" });
  } catch (e) {
    throw new AgentPermsError("io_failed", `Cannot serve the egress proxy at "${path}": ${errorText(e)}`, {
      cause: e,
    });
  }
  const tmpPath = `${tmpDir}/s`;
  try {
    if (new TextEncoder().encode(tmpPath).length > SUN_PATH_MAX) {
      throw new Error("the directory name is too long for a Unix socket");
    }
    await new Promise<void>((ok, fail) => {
      server.once("error", fail);
      server.listen(tmpPath, () => {
        server.off("error", fail);
        ok();
      });
    });
    await Deno.chmod(tmpPath, 0o600);
    // rename(2) replaces a stale socket atomically; the bound socket follows its inode.
    await Deno.rename(tmpPath, path);
    return (await Deno.lstat(path)).ino;
  } catch (e) {
    await new Promise<void>((r) => server.close(() => r()));
    throw new AgentPermsError("io_failed", `Cannot serve the egress proxy at "${path}": ${errorText(e)}`, {
      cause: e,
    });
  } finally {
    await Deno.remove(tmpDir, { recursive: true }).catch(() => {});
  }
}

function socketAnswers(path: string): Promise<boolean> {
  return new Promise((r) => {
    const s = net.connect({ path });
    s.on("error", () => r(false));
    s.on("connect", () => {
      s.destroy();
      r(true);
    });
  });
}

function raceTimeout<T>(p: Promise<T>, ms: number, abort: Promise<void>, fallback: T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<T>((r) => (timer = setTimeout(() => r(fallback), ms)));
  return Promise.race([p, late, abort.then(() => fallback)]).finally(() => clearTimeout(timer));
}

function errorText(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return typeof code === "string" && !e.message.includes(code) ? `${code}: ${e.message}` : e.message;
  }
  return String(e);
}
