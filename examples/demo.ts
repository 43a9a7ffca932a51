/**
 * `deno task demo`: a scripted agent (the MCP SDK client) drives the deliberately over-privileged demo server
 * through the AgentPerms proxy. Step 1 records a short session; step 2 enforces the demo policy and shows a
 * dangerous call blocked and an approval denied for lack of a channel. Around them: scan the demo config first,
 * then infer a policy from the recorded trace, replay the attack packs against it and write the report. Each
 * step is a function taking the shared context.
 * @module
 */
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/stdio"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readTraceEvents, type TraceEventV1 } from "../src/trace/mod.ts";
import { fakeIo } from "../src/cli/io.ts";
import { run } from "../src/cli/run.ts";
import { denoRuntimeEnv } from "../src/sandbox/mod.ts";
import { selfCommand } from "../src/clients/mod.ts";

/** What every step can use and extend. */
export interface DemoContext {
  /** Repository root. */
  root: string;
  /** Temp folder for this run (traces go in `<work>/traces`). */
  work: string;
  /** Trace directory of the recorded session. */
  recordTraces: string;
  /** Trace directory of the enforced session. */
  enforceTraces: string;
  /** The demo policy. */
  policy: string;
  /** Prints one line of narrative. */
  say: (line?: string) => void;
  /** The policy `infer` wrote (set by the infer step). */
  inferred?: string;
}

/** One step of the demo. */
export type DemoStep = (ctx: DemoContext) => Promise<void>;

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const DEMO_DIR = join(ROOT, "examples/vulnerable-mcp-demo");

function proxyArgs(ctx: DemoContext, mode: "record" | "enforce", traceDir: string): string[] {
  return [
    ...selfCommand().slice(1),
    "proxy",
    "--mode",
    mode,
    "--server",
    "demo",
    ...(mode === "enforce" ? ["--policy", ctx.policy] : []),
    "--trace-dir",
    traceDir,
    "--cwd",
    DEMO_DIR,
    "--no-tty", // the demo shows the "no approval channel" path; a real terminal would be asked
    "--",
    Deno.execPath(),
    "run",
    "--no-config",
    "--no-prompt",
    join(DEMO_DIR, "server.ts"),
  ];
}

async function connect(ctx: DemoContext, mode: "record" | "enforce", traceDir: string): Promise<Client> {
  const env: Record<string, string> = {
    RUST_BACKTRACE: "0",
    NO_COLOR: "1",
    ...denoRuntimeEnv((k) => Deno.env.get(k)),
  };
  const client = new Client({ name: "demo-agent", version: "1.0.0" });
  // stderr is piped and dropped: the proxy's own diagnostics would interleave with the narrative.
  await client.connect(
    new StdioClientTransport({
      command: Deno.execPath(),
      args: proxyArgs(ctx, mode, traceDir),
      env,
      stderr: "pipe",
    }),
  );
  return client;
}

function text(result: unknown): string {
  const c = (result as { content?: { text?: string }[] }).content;
  return c?.[0]?.text ?? "";
}

async function events(dir: string): Promise<TraceEventV1[]> {
  const out: TraceEventV1[] = [];
  for await (const r of readTraceEvents(dir)) out.push(r.event);
  return out;
}

/** Step 1: record a short, harmless session; every call is forwarded and traced with its decision. */
export const recordStep: DemoStep = async (ctx) => {
  ctx.say("Step 1 - record: the agent works normally; the proxy forwards everything and writes a trace");
  const client = await connect(ctx, "record", ctx.recordTraces);
  try {
    const tools = (await client.listTools()).tools.map((t) => t.name);
    ctx.say(`  the server offers ${tools.length} tools: ${tools.join(", ")}`);
    const calls: [string, Record<string, unknown>][] = [
      ["list_repos", {}],
      ["read", { path: "sandbox/notes.txt" }],
      ["create_issue", { title: "Notes are out of date" }],
      ["write", { path: "sandbox/notes.txt", content: "updated notes" }],
    ];
    for (const [name, args] of calls) {
      const r = await client.callTool({ name, arguments: args });
      ctx.say(`  agent -> ${name}(${JSON.stringify(args)})  =>  ${text(r)}`);
    }
  } finally {
    await client.close();
  }
  const calls = (await events(ctx.recordTraces)).filter((e) => e.kind === "call");
  ctx.say(`  recorded ${calls.length} calls in ${ctx.recordTraces}`);
  ctx.say();
};

/** Step 2: enforce the demo policy: dangerous tools are hidden and blocked, approval needs a channel. */
export const enforceStep: DemoStep = async (ctx) => {
  ctx.say(`Step 2 - enforce ${ctx.policy.slice(ctx.root.length + 1)}`);
  const client = await connect(ctx, "enforce", ctx.enforceTraces);
  try {
    const tools = (await client.listTools()).tools.map((t) => t.name);
    ctx.say(`  the agent now sees ${tools.length} tools: ${tools.join(", ")}`);
    const calls: [string, Record<string, unknown>, string][] = [
      ["read", { path: "sandbox/notes.txt" }, "inside the sandbox folder"],
      ["delete_repo", { repo: "acme/prod" }, "a prompt-injected agent tries a hidden, denied tool"],
      ["read", { path: "~/.ssh/id_rsa" }, "and then the user's SSH key"],
      ["send_email", { to: "boss@example.com", subject: "Report", body: "see attached" }, "needs a human"],
    ];
    for (const [name, args, why] of calls) {
      const r = await client.callTool({ name, arguments: args });
      const verdict = r.isError ? "BLOCKED" : "allowed";
      ctx.say(`  agent -> ${name}(${JSON.stringify(args)})   (${why})`);
      ctx.say(`     ${verdict}: ${text(r)}`);
    }
  } finally {
    await client.close();
  }
  ctx.say("  decisions in the trace:");
  for (const e of await events(ctx.enforceTraces)) {
    if (e.kind !== "call") continue;
    const approval = e.approval
      ? `, approval: ${e.approval.channel} ${e.approval.granted ? "granted" : "refused"}`
      : "";
    ctx.say(
      `    ${e.decision?.verdict.toUpperCase().padEnd(7)} ${e.tool} [${
        e.decision?.ruleIds.join(", ")
      }]${approval}`,
    );
  }
  ctx.say(`  trace: ${ctx.enforceTraces}`);
  ctx.say();
};

/** Runs an `agentperms` command in this process and returns its exit code and output. */
async function agentperms(
  ctx: DemoContext,
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  const io = fakeIo({ cwd: ctx.root, env: Deno.env.toObject(), now: new Date() });
  const code = await run(args, io);
  return { code, out: io.stdoutText(), err: io.stderrText() };
}

/** Step 0: scan the demo's client config, as a user would before anything else. */
export const scanStep: DemoStep = async (ctx) => {
  ctx.say("Step 0 - scan: what does the demo's MCP config expose?");
  const r = await agentperms(ctx, ["scan", "--path", DEMO_DIR]);
  for (const line of r.out.split("\n").filter((l) => /^(HIGH|MEDIUM)\b/.test(l))) ctx.say(`  ${line.trim()}`);
  ctx.say(`  scan exit code ${r.code} (1 = a HIGH finding)`);
  ctx.say();
};

/** Step 3: infer the least-privilege policy from the recorded trace. */
export const inferStep: DemoStep = async (ctx) => {
  ctx.say("Step 3 - infer: the smallest policy that still lets the agent do what it did");
  const out = join(ctx.work, "inferred.mcp.policy.yaml");
  const r = await agentperms(ctx, ["infer", ctx.recordTraces, "--out", out, "--cwd", DEMO_DIR]);
  if (r.code !== 0) throw new Error(`infer failed (${r.code}): ${r.err}`);
  for (const line of r.out.trim().split("\n")) ctx.say(`  ${line}`);
  ctx.inferred = out;
  ctx.say();
};

// The packs target servers named filesystem, shell, gmail, github, postgres: point them at "demo", so every
// attack is judged by real rules of the demo server, not by the unknown-server default-deny.
const PACK_TO_DEMO = ["filesystem", "shell", "gmail", "github", "postgres"].flatMap((
  s,
) => ["--server-map", `${s}=demo`]);

/** Step 4: replay the built-in attack packs against the inferred policy (the same decide() as the proxy). */
export const replayStep: DemoStep = async (ctx) => {
  if (!ctx.inferred) return;
  ctx.say("Step 4 - replay: does the inferred policy block the attack packs?");
  const r = await agentperms(ctx, [
    "replay",
    "--policy",
    ctx.inferred,
    "--only",
    "original",
    ...PACK_TO_DEMO,
  ]);
  for (const line of r.out.split("\n").filter((l) => /attacks blocked|controls/.test(l))) {
    ctx.say(`  ${line}`);
  }
  ctx.say(`  replay exit code ${r.code} (0 = every attack blocked)`);
  ctx.say();
};

/** Step 5: the HTML report of this run. */
export const reportStep: DemoStep = async (ctx) => {
  ctx.say("Step 5 - report");
  const out = join(ctx.work, "agentperms-report.html");
  const r = await agentperms(ctx, [
    "report",
    "--path",
    DEMO_DIR,
    "--traces",
    join(ctx.work, "traces"),
    "--policy",
    ctx.inferred ?? ctx.policy,
    "--out",
    out,
    ...PACK_TO_DEMO,
  ]);
  ctx.say(r.code === 0 ? `  wrote ${out}` : `  report failed (${r.code}): ${r.err.trim()}`);
  ctx.say();
};

/** The steps `deno task demo` runs, in order. */
export const STEPS: DemoStep[] = [scanStep, recordStep, enforceStep, inferStep, replayStep, reportStep];

/**
 * Runs the demo.
 * @param steps which steps to run
 * @returns the context (the trace folders stay on disk for the user to inspect)
 */
export async function runDemo(steps: DemoStep[] = STEPS): Promise<DemoContext> {
  const work = await Deno.makeTempDir({ prefix: "agentperms-demo-" });
  const enc = new TextEncoder();
  const ctx: DemoContext = {
    root: ROOT.replace(/\/$/, ""),
    work,
    recordTraces: join(work, "traces", "record"),
    enforceTraces: join(work, "traces", "enforce"),
    policy: join(ROOT, "examples/policies/demo.mcp.policy.yaml"),
    say: (line = "") => void Deno.stdout.writeSync(enc.encode(line + "\n")),
  };
  ctx.say("AgentPerms demo: a scripted agent, an over-privileged MCP server, and the proxy in between");
  ctx.say();
  for (const step of steps) await step(ctx);
  ctx.say(`Done. Everything this run wrote is under ${work}`);
  return ctx;
}

if (import.meta.main) await runDemo();
