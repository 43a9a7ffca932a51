/**
 * The HTTP client under the bridge ({@link HttpUpstream}): one request, its status and headers, its body read
 * to the end as text handed on piece by piece. Two implementations: `node:http` with a keep-alive agent, and
 * Deno's `fetch`. Private to the proxy folder.
 *
 * Why two: on Deno 2.9.6, reading a streamed answer through `fetch`'s web streams cost about 0.12 ms of CPU
 * and 0.06 ms of latency more per call than `node:http`'s data events (bench/http_bridge_bench.ts), and every
 * SSE answer is streamed (a server request inside it must be judged before the answer comes). But only
 * `fetch` honours what Deno users configure: `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY`, Windows' proxy settings,
 * and `--cert`/`DENO_CERT`/`DENO_TLS_CA_STORE` (Deno's `node:https` ignores them: checked with a private CA).
 * So `node:http` is used for plain `http:` remotes when no proxy is configured, `fetch` for everything else.
 * @module
 */
import { Buffer } from "node:buffer";
import http from "node:http";
import type { IncomingMessage } from "node:http";

/** One request. */
export interface HttpRequestInit {
  method: "GET" | "POST" | "DELETE";
  /** Header names in lower case. */
  headers: Record<string, string>;
  body?: string;
  /** Give up after this long, ms (the request and the whole body). */
  timeoutMs?: number;
}

/** An answer whose body has not been read yet. */
export interface HttpReply {
  readonly status: number;
  /** A response header, or undefined. */
  header(name: string): string | undefined;
  /**
   * Reads the body to its end as UTF-8 text, handing on each piece as it arrives. When `onText` throws, the
   * body is dropped and the promise rejects with that error.
   * @throws when the body breaks off
   */
  stream(onText: (text: string) => void): Promise<void>;
  /** Reads the whole body as text. */
  text(): Promise<string>;
  /** Drops the body. */
  discard(): Promise<void>;
}

/** Sends requests; `abortAll` ends every request and body in flight (a later request still goes). */
export interface HttpSend {
  (url: URL, init: HttpRequestInit): Promise<HttpReply>;
  abortAll(): void;
  /** Ends everything in flight and closes the idle connections kept for reuse. */
  close(): void;
  /** Which client it is. */
  readonly kind: "node" | "fetch";
}

/**
 * The client for `url`: `node:http` for plain http without a configured proxy, else `fetch`.
 * @param url the remote
 * @param env reads an environment variable (default the process's; throws when it may not)
 * @returns the client
 */
export function defaultSend(
  url: URL,
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
): HttpSend {
  return url.protocol === "http:" && !proxyConfigured(env) ? nodeSend() : fetchSend(fetch);
}

const PROXY_VARS = ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"];

/** Whether requests may have to go through a proxy (then only `fetch` knows how). */
function proxyConfigured(env: (name: string) => string | undefined): boolean {
  if (Deno.build.os === "windows") return true; // proxies may come from the registry, which only fetch reads
  try {
    return PROXY_VARS.some((v) => (env(v) ?? "") !== "");
  } catch {
    return true; // cannot tell: take the client that honours them
  }
}

/**
 * A client over a `fetch` (the global one, or a test's, or the OAuth layer's). Redirects are never followed.
 * @param f the fetch
 * @returns the client
 */
export function fetchSend(f: typeof fetch): HttpSend {
  let abort = new AbortController();
  const send = async (url: URL, init: HttpRequestInit): Promise<HttpReply> => {
    const res = await f(url, {
      method: init.method,
      headers: init.headers,
      body: init.body,
      signal: init.timeoutMs !== undefined ? AbortSignal.timeout(init.timeoutMs) : abort.signal,
      redirect: "manual",
    });
    return {
      status: res.status,
      header: (name) => res.headers.get(name) ?? undefined,
      async stream(onText) {
        if (!res.body) return;
        const reader = res.body.getReader();
        const dec = new TextDecoder();
        let ok = false;
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            onText(dec.decode(value, { stream: true }));
          }
          const rest = dec.decode();
          if (rest !== "") onText(rest);
          ok = true;
        } finally {
          if (ok) reader.releaseLock();
          else await reader.cancel().catch(() => {});
        }
      },
      text: () => res.text(),
      discard: () => res.body?.cancel().catch(() => {}) ?? Promise.resolve(),
    };
  };
  return Object.assign(send, {
    abortAll() {
      abort.abort();
      abort = new AbortController();
    },
    close() {
      abort.abort();
    },
    kind: "fetch" as const,
  });
}

/**
 * A client over `node:http` with a keep-alive agent (plain http only). A URL with user info is refused, as
 * `fetch` refuses it: the credentials go in headers.
 * @returns the client
 */
export function nodeSend(): HttpSend {
  const agent = new http.Agent({ keepAlive: true });
  const live = new Set<http.ClientRequest>();
  const send = (url: URL, init: HttpRequestInit): Promise<HttpReply> =>
    new Promise((resolve, reject) => {
      if (url.protocol !== "http:") return reject(new TypeError(`node:http does not speak ${url.protocol}`));
      if (url.username !== "" || url.password !== "") {
        return reject(new TypeError("a URL with credentials (user:password@) is not sent"));
      }
      const headers: Record<string, string | number> = { ...init.headers };
      if (init.body !== undefined) headers["content-length"] = Buffer.byteLength(init.body);
      const req = http.request({
        hostname: url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname,
        port: url.port === "" ? 80 : Number(url.port),
        path: `${url.pathname}${url.search}`,
        method: init.method,
        headers,
        agent,
      }, (res) => resolve(nodeReply(res, () => live.delete(req))));
      live.add(req);
      let timer: ReturnType<typeof setTimeout> | undefined;
      if (init.timeoutMs !== undefined) {
        timer = setTimeout(() => req.destroy(new Error("timed out")), init.timeoutMs);
        req.once("close", () => clearTimeout(timer));
      }
      req.once("error", (e) => {
        live.delete(req);
        reject(e);
      });
      req.end(init.body);
    });
  const abortAll = () => {
    for (const req of live) req.destroy(new Error("aborted"));
    live.clear();
  };
  return Object.assign(send, {
    abortAll,
    close() {
      abortAll();
      // Idle keep-alive connections would stay open until the server closes them (a gateway ends sessions
      // all day: each had its own pool).
      agent.destroy();
    },
    kind: "node" as const,
  });
}

function nodeReply(res: IncomingMessage, done: () => void): HttpReply {
  /** Reads to the end: resolves on `end`, rejects when the body breaks off first. */
  const drain = (onText: (text: string) => void): Promise<void> =>
    new Promise((resolve, reject) => {
      let ended = false;
      res.setEncoding("utf8");
      res.on("data", (text: string) => {
        try {
          onText(text);
        } catch (e) {
          ended = true;
          res.destroy();
          done();
          reject(e);
        }
      });
      res.once("end", () => {
        ended = true;
        done();
        resolve();
      });
      res.once("error", (e) => {
        if (ended) return;
        ended = true;
        done();
        reject(e);
      });
      res.once("close", () => {
        if (ended) return;
        ended = true;
        done();
        reject(new Error("the connection closed before the body ended"));
      });
    });
  return {
    status: res.statusCode ?? 0,
    header(name) {
      const v = res.headers[name];
      return Array.isArray(v) ? v.join(", ") : v;
    },
    stream: drain,
    async text() {
      const parts: string[] = [];
      await drain((t) => void parts.push(t));
      return parts.join("");
    },
    discard: () => drain(() => {}).catch(() => {}),
  };
}
