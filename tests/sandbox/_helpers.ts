// Test helpers for containment e2e tests: a fixture tree, policies, and an SDK client over a LaunchPlan.
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/shared/transport"
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { hostRealpath } from "../../src/canonical/mod.ts";
import { type CompiledPolicy, compilePolicy, parsePolicy } from "../../src/policy/mod.ts";
import type { LaunchPlan } from "../../src/sandbox/mod.ts";
import { readTraceEvents, type TraceEventV1 } from "../../src/trace/mod.ts";
import { denoRuntimeEnv } from "../../src/sandbox/mod.ts";
import { selfCommand } from "../../src/clients/mod.ts";

export const FS_PKG = "@modelcontextprotocol/server-filesystem@2026.8.31";
export const EVERYTHING_PKG = "@modelcontextprotocol/server-everything@2026.8.31";

/** The DENO_NOTES fixture: allowed/, allowed_evil/ (prefix sibling), secret/, and symlinks out of allowed/. */
export interface Fixture extends AsyncDisposable {
  root: string;
}

/** Creates the fixture in a fresh temp dir (realpath'd, so /tmp symlinks do not matter). */
export async function makeFixture(): Promise<Fixture> {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "ap-sbx-" }));
  await Deno.mkdir(`${root}/allowed/sub`, { recursive: true });
  await Deno.mkdir(`${root}/allowed_evil`);
  await Deno.mkdir(`${root}/secret`);
  await Deno.writeTextFile(`${root}/allowed/a.txt`, "hello");
  await Deno.writeTextFile(`${root}/allowed/sub/b.txt`, "SUB");
  await Deno.writeTextFile(`${root}/allowed_evil/x.txt`, "EVIL");
  await Deno.writeTextFile(`${root}/secret/s.txt`, "SECRET");
  await Deno.symlink("../secret/s.txt", `${root}/allowed/link`);
  await Deno.symlink("../secret", `${root}/allowed/dirlink`);
  return {
    root,
    async [Symbol.asyncDispose]() {
      await Deno.remove(root, { recursive: true });
    },
  };
}

/** Compiles policy YAML with the host's realpath, as `loadPolicy` does. */
export function compile(yaml: string, baseDir: string, home = "/nonexistent-home"): CompiledPolicy {
  return compilePolicy(parsePolicy(yaml, { file: "test.yaml" }).policy, {
    baseDir,
    home,
    realpath: hostRealpath,
  });
}

/** The environment the proxy would have: this process's, plus extras. */
export function proxyEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { ...Deno.env.toObject(), ...extra };
}

/**
 * A stdio Transport that spawns exactly what a LaunchPlan says (clearEnv honoured, unlike the SDK's
 * StdioClientTransport, which always adds HOME, PATH, USER...).
 */
export class PlanTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  stderr = "";
  exit?: Promise<Deno.CommandStatus>;
  #child?: Deno.ChildProcess;
  #writer?: WritableStreamDefaultWriter<Uint8Array>;
  #done: Promise<void>[] = [];
  constructor(readonly plan: LaunchPlan) {}

  start(): Promise<void> {
    const child = new Deno.Command(this.plan.command, {
      args: this.plan.args,
      env: this.plan.env,
      clearEnv: this.plan.clearEnv,
      cwd: this.plan.cwd,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    this.#writer = child.stdin.getWriter();
    this.exit = child.status;
    const dec = new TextDecoder();
    this.#done.push(
      (async () => {
        let buf = "";
        for await (const chunk of child.stdout) {
          buf += dec.decode(chunk, { stream: true });
          let nl: number;
          while ((nl = buf.indexOf("\n")) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (line === "") continue;
            try {
              this.onmessage?.(JSON.parse(line));
            } catch (e) {
              this.onerror?.(e as Error);
            }
          }
        }
      })().catch(() => {}).finally(() => {
        try {
          this.onclose?.();
        } catch { /* the client's close handling must not fail the reader */ }
      }),
    );
    this.#done.push((async () => {
      for await (const chunk of child.stderr) this.stderr += new TextDecoder().decode(chunk);
    })());
    return Promise.resolve();
  }

  async send(message: JSONRPCMessage): Promise<void> {
    await this.#writer!.write(new TextEncoder().encode(JSON.stringify(message) + "\n"));
  }

  async close(): Promise<void> {
    try {
      await this.#writer?.close();
    } catch { /* already closed */ }
    try {
      this.#child?.kill("SIGTERM");
    } catch { /* already exited */ }
    await this.exit;
    await Promise.all(this.#done);
  }
}

/** A connected client over a plan; dispose closes it and waits for the server to exit. */
export interface PlanClient extends AsyncDisposable {
  client: Client;
  transport: PlanTransport;
  /** Calls a tool and returns its first text (isError results included). */
  text(tool: string, args: Record<string, unknown>): Promise<{ text: string; isError: boolean }>;
}

/** Connects the SDK client to the server the plan describes (20 s timeout). */
export async function connect(plan: LaunchPlan): Promise<PlanClient> {
  const transport = new PlanTransport(plan);
  const client = new Client({ name: "agentperms-sandbox-test", version: "0.0.0" });
  try {
    await withTimeout(client.connect(transport), 20_000, () => `server did not start: ${transport.stderr}`);
  } catch (e) {
    await transport.close();
    throw e;
  }
  return {
    client,
    transport,
    async text(tool, args) {
      const r = await withTimeout(
        client.callTool({ name: tool, arguments: args }),
        15_000,
        () => "tool call",
      );
      const content = (r.content ?? []) as Array<{ type: string; text?: string }>;
      return { text: content.map((c) => c.text ?? "").join(""), isError: r.isError === true };
    },
    async [Symbol.asyncDispose]() {
      await client.close();
      await transport.close();
    },
  };
}

/** Rejects after `ms` with a message. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, rej) => {
        timer = setTimeout(() => rej(new Error(`timed out after ${ms} ms: ${what()}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A plan-shaped launch of `agentperms proxy` in front of a server, for `connect()` (own env, clearEnv). */
export function proxyPlan(
  opts: {
    mode: "record" | "enforce";
    server: string;
    policy: string;
    traceDir: string;
    env?: Record<string, string>;
    /** More proxy flags (e.g. `--server-env NAME`). */
    extra?: string[];
  },
  serverArgv: string[],
): LaunchPlan {
  const env: Record<string, string> = {
    RUST_BACKTRACE: "0",
    NO_COLOR: "1",
    ...denoRuntimeEnv((k) => Deno.env.get(k)),
    ...opts.env,
  };
  return {
    command: selfCommand()[0]!,
    args: [
      ...selfCommand().slice(1),
      "proxy",
      "--mode",
      opts.mode,
      "--server",
      opts.server,
      "--policy",
      opts.policy,
      "--trace-dir",
      opts.traceDir,
      "--no-tty",
      ...opts.extra ?? [],
      "--",
      ...serverArgv,
    ],
    env,
    clearEnv: true,
    contained: false,
    mode: "off",
    notes: [],
    flags: [],
    entry: { kind: "other", launcher: "agentperms", keptFlags: [], droppedFlags: [], serverArgs: serverArgv },
  };
}

/** Every trace event in a directory. */
export async function traceEventsIn(dir: string): Promise<TraceEventV1[]> {
  const out: TraceEventV1[] = [];
  for await (const r of readTraceEvents(dir)) out.push(r.event);
  return out;
}
