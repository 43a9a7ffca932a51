/** Shared helpers for the proxy's end-to-end tests: spawn commands, env, SDK clients, trace reading. */
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/stdio"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readTraceEvents, type TraceEventV1 } from "../../src/trace/mod.ts";
import { denoRuntimeEnv } from "../../src/sandbox/mod.ts";

/** Repository root. */
export const ROOT: string = fileURLToPath(new URL("../../", import.meta.url));
/** The CLI entry. */
export const CLI: string = join(ROOT, "cli.ts");
/** The repo's deno.json (the proxy runs with its import map). */
export const CONFIG: string = join(ROOT, "deno.json");
/** The deno binary running the tests. */
export const DENO: string = Deno.execPath();

/** Environment for child processes: just what Deno needs, plus extras. */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {
    RUST_BACKTRACE: "0",
    NO_COLOR: "1",
    ...denoRuntimeEnv((k) => Deno.env.get(k)),
  };
  return { ...env, ...extra };
}

/** argv that starts one of the pinned npm servers under Deno. */
export function npmServer(
  name: "everything" | "filesystem" | "memory",
  opts: { flags?: string[]; args?: string[] } = {},
): string[] {
  const defaults: Record<string, string[]> = {
    everything: ["--allow-env=GZIP_MAX_FETCH_SIZE,GZIP_MAX_FETCH_TIME_MILLIS,GZIP_ALLOWED_DOMAINS"],
    filesystem: ["--allow-env=__MINIMATCH_TESTING_PLATFORM__"],
    memory: ["--allow-env=MEMORY_FILE_PATH"],
  };
  return [
    DENO,
    "run",
    "--no-config",
    "--no-prompt",
    ...(opts.flags ?? defaults[name]!),
    `npm:@modelcontextprotocol/server-${name}@2026.8.31`,
    ...(opts.args ?? []),
  ];
}

/** argv that starts the demo server. */
export function demoServer(): string[] {
  return [
    DENO,
    "run",
    "--no-prompt",
    "--config",
    CONFIG,
    join(ROOT, "examples/vulnerable-mcp-demo/server.ts"),
  ];
}

/** argv for the proxy in front of `server`. */
export function proxyArgv(
  opts: {
    mode: "record" | "enforce";
    server: string;
    policy?: string;
    traceDir: string;
    extra?: string[];
    /** Allow approval prompts on /dev/tty (default: --no-tty). */
    tty?: boolean;
    /** Put `--` before the server command (default true; a client that splits its own argv at `--` cannot). */
    separator?: boolean;
  },
  serverArgv: string[],
): string[] {
  return [
    DENO,
    "run",
    "-A",
    "--config",
    CONFIG,
    CLI,
    "proxy",
    "--mode",
    opts.mode,
    "--server",
    opts.server,
    ...(opts.policy ? ["--policy", opts.policy] : []),
    "--trace-dir",
    opts.traceDir,
    ...(opts.tty ? [] : ["--no-tty"]),
    ...(opts.extra ?? []),
    ...(opts.separator === false ? [] : ["--"]),
    ...serverArgv,
  ];
}

/** An SDK client connected through `argv` (usually the proxy). Close it with `await using`. */
export async function sdkClient(
  argv: string[],
  opts: { env?: Record<string, string>; capabilities?: Record<string, unknown>; cwd?: string } = {},
): Promise<Client & AsyncDisposable> {
  const client = new Client({ name: "agentperms-e2e", version: "1.0.0" }, {
    capabilities: opts.capabilities ?? {},
  });
  const transport = new StdioClientTransport({
    command: argv[0]!,
    args: argv.slice(1),
    env: childEnv(opts.env),
    cwd: opts.cwd,
    stderr: "pipe",
  });
  await client.connect(transport);
  return Object.assign(client, { [Symbol.asyncDispose]: () => client.close() });
}

/** A temp dir removed on dispose. */
export async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "agentperms-proxy-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

/**
 * Every event in a trace directory, with each call joined to its `result` line (as infer and report read
 * them); `raw` keeps the lines as written.
 */
export async function traceEvents(dir: string, opts: { raw?: boolean } = {}): Promise<TraceEventV1[]> {
  const out: TraceEventV1[] = [];
  for await (const r of readTraceEvents(dir, { raw: opts.raw })) out.push(r.event);
  return out;
}

/** Waits for a condition, polling; throws after `ms`. */
export async function until(
  cond: () => boolean | Promise<boolean>,
  ms = 10_000,
  what = "condition",
): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Text of the first content item of a tool result. */
export function firstText(result: unknown): string {
  const c = (result as { content?: { type: string; text?: string }[] }).content;
  return c?.[0]?.text ?? "";
}

/**
 * A raw NDJSON client for the proxy process: send lines, wait for responses by id, read stderr, exit code.
 */
export class RawProxy implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly messages: unknown[] = [];
  stderr = "";
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #done: Promise<void>;
  #enc = new TextEncoder();

  constructor(argv: string[], env: Record<string, string> = {}) {
    this.child = new Deno.Command(argv[0]!, {
      args: argv.slice(1),
      env: childEnv(env),
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#writer = this.child.stdin.getWriter();
    const readLines = async (s: ReadableStream<Uint8Array>, onLine: (l: string) => void) => {
      let rest = "";
      const dec = new TextDecoder();
      for await (const bytes of s) {
        rest += dec.decode(bytes, { stream: true });
        let nl: number;
        while ((nl = rest.indexOf("\n")) !== -1) {
          onLine(rest.slice(0, nl));
          rest = rest.slice(nl + 1);
        }
      }
      if (rest) onLine(rest);
    };
    this.#done = Promise.all([
      readLines(this.child.stdout, (l) => this.messages.push(JSON.parse(l))),
      readLines(this.child.stderr, (l) => void (this.stderr += l + "\n")),
    ]).then(() => {});
  }

  /** Sends one line (a value is JSON-serialized). */
  async send(m: unknown): Promise<void> {
    await this.#writer.write(this.#enc.encode((typeof m === "string" ? m : JSON.stringify(m)) + "\n"));
  }

  /** Sends raw bytes. */
  async sendBytes(b: Uint8Array): Promise<void> {
    await this.#writer.write(b);
  }

  /** Waits for the response with this id. */
  async response(id: unknown, ms = 15_000): Promise<Record<string, unknown>> {
    const find = () =>
      this.messages.find((m) => (m as Record<string, unknown>).id === id && !("method" in (m as object))) as
        | Record<string, unknown>
        | undefined;
    await until(() => find() !== undefined, ms, `response ${JSON.stringify(id)}; stderr:\n${this.stderr}`);
    return find()!;
  }

  /** Closes stdin (client EOF). */
  async closeStdin(): Promise<void> {
    try {
      await this.#writer.close();
    } catch {
      // already closed
    }
  }

  /** Waits for the process to exit and all output to be read. */
  async exit(ms = 15_000): Promise<number> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(new Error(`proxy did not exit in ${ms} ms`)), ms);
    });
    try {
      const status = await Promise.race([this.child.status, timeout]);
      await this.#done;
      return status.code;
    } finally {
      clearTimeout(timer);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.closeStdin();
    try {
      this.child.kill("SIGKILL");
    } catch {
      // exited
    }
    await this.child.status;
    await this.#done.catch(() => {});
  }
}

/**
 * Starts `argv` (usually the proxy), sends one `initialize` and closes its stdin; waits for it to exit.
 * @returns what it wrote and its exit code
 */
export async function initializeOnce(
  argv: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env,
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(
    JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } },
    }) + "\n",
  ));
  await w.close();
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
