/**
 * The real MCP clients from the npm registry (Claude Code, Gemini CLI, Codex), pinned and installed once
 * into `<repo>/.cache/real-clients`, each run in a throwaway HOME: their own `mcp add` writes the config, AgentPerms
 * wires it (record, then enforce), the client's own `mcp list` must still see every server connected, and
 * `--stop` must give back the config byte for byte (issues 15 and 17).
 *
 * Two servers per client: server-memory in `npx -y pkg@version` form and server-filesystem locally installed,
 * started as `node <dir>/dist/index.js <folder>`.
 *
 * Skipped with a message when the npm registry is unreachable, unless `CI` is set (then it fails).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/stdio"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import {
  agentperms,
  CODEX_ENV_ALLOWLIST,
  editJson,
  filesNamed,
  makeSandbox,
  readTraces,
  realStateFolders,
  runTool,
  type Sandbox,
  show,
  type ToolResult,
} from "./_real_clients.ts";
import {
  installRealClients,
  NPX_MEMORY,
  type RealClients,
  registryProblem,
} from "./_real_clients_install.ts";

const NPX_SERVER = "memory-npx";
const NODE_SERVER = "files-node";
const SERVERS = [NPX_SERVER, NODE_SERVER] as const;
/** Trace files are named `<time>-<server>-<session>.jsonl`. */
const MARKERS = SERVERS.map((s) => `-${s}-`);
const LIST_TIMEOUT_MS = 60_000;

interface Setup {
  clients?: RealClients;
  skip?: string;
  error?: Error;
}

/** Checks the registry and installs the clients once (the stamp makes a second run a no-op). */
async function prepare(): Promise<Setup> {
  const inCi = (Deno.env.get("CI") ?? "") !== "";
  const problem = await registryProblem();
  if (problem !== null) {
    const msg =
      `the npm registry is unreachable (${problem}): the real-client tests need it for the install and npx`;
    if (inCi) return { error: new Error(`${msg}; CI is set, so this fails instead of skipping`) };
    await Deno.stderr.write(new TextEncoder().encode(`SKIPPED real_clients_test.ts: ${msg}\n`));
    return { skip: msg };
  }
  try {
    const clients = await installRealClients();
    if (clients.installMs > 0) {
      await Deno.stderr.write(
        new TextEncoder().encode(`real clients installed into ${clients.dir} in ${clients.installMs} ms\n`),
      );
    }
    return { clients };
  } catch (e) {
    return { error: e instanceof Error ? e : new Error(String(e)) };
  }
}

const setup = await prepare();

function realTest(name: string, fn: (c: RealClients) => Promise<void>): void {
  Deno.test({
    name,
    ignore: setup.skip !== undefined,
    // The clients leave their own children (npx, node) to die with them; the proxy's exit is checked via traces.
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      if (setup.error) throw setup.error;
      await fn(setup.clients!);
    },
  });
}

/** The original command of each server, as the user gives it to `<client> mcp add`. */
function originals(c: RealClients, sb: Sandbox): Record<(typeof SERVERS)[number], string[]> {
  return {
    [NPX_SERVER]: ["npx", "-y", NPX_MEMORY],
    [NODE_SERVER]: ["node", c.filesystemEntry, sb.data],
  };
}

async function writePolicy(sb: Sandbox): Promise<string> {
  const file = join(sb.root, "mcp.policy.yaml");
  await Deno.writeTextFile(
    file,
    [
      "version: 1",
      "servers:",
      `  ${NPX_SERVER}: {}`,
      `  ${NODE_SERVER}:`,
      `    allowed_paths: [${JSON.stringify(sb.data)}]`,
      "",
    ].join("\n"),
  );
  return file;
}

/** How one client is driven. */
interface ClientDriver {
  id: "claude-code" | "gemini";
  bin: string;
  /** The file `mcp add` writes (what must come back byte for byte). */
  configFile: (sb: Sandbox) => string;
  /** Marks the project folder trusted (SANDBOX_NOTES, "Real clients"); `before` = ahead of `mcp add`. */
  trust: (sb: Sandbox) => Promise<void>;
  trustBeforeAdd: boolean;
  addArgs: (name: string, command: string[]) => string[];
  /** The list line of a server, if it says connected. */
  connected: (line: string) => boolean;
  /** Extra diagnostics for a server that did not connect. */
  diagnose?: (name: string, sb: Sandbox) => Promise<string>;
}

function lineOf(out: string, name: string): string | undefined {
  // Claude: "name: cmd - ✔ Connected"; Gemini: "✓ name: cmd (stdio) - Connected".
  return out.split("\n").find((l) => l.replace(/^[^\w]*\s*/u, "").startsWith(`${name}: `));
}

/** The whole client flow: add, trust, list, record, list, enforce, list, stop, compare, traces. */
async function clientFlow(c: RealClients, d: ClientDriver): Promise<void> {
  await using sb = await makeSandbox(d.id);
  const timings: string[] = [];
  const run = async (args: string[], what: string): Promise<ToolResult> => {
    const r = await runTool(d.bin, args, { cwd: sb.project, env: sb.env, timeoutMs: LIST_TIMEOUT_MS });
    timings.push(`${what} ${r.ms} ms`);
    return r;
  };
  const orig = originals(c, sb);
  if (d.trustBeforeAdd) await d.trust(sb);
  for (const name of SERVERS) {
    const r = await run(d.addArgs(name, orig[name]), `mcp add ${name}`);
    assert.equal(r.code, 0, show(`${d.id} mcp add ${name}`, r));
  }
  if (!d.trustBeforeAdd) await d.trust(sb);

  const expectConnected = async (mode: "direct" | "record" | "enforce") => {
    const r = await run(["mcp", "list"], `mcp list (${mode})`);
    const out = r.stdout + r.stderr;
    const problems: string[] = [];
    for (const name of SERVERS) {
      const line = lineOf(out, name);
      if (line === undefined) problems.push(`${name}: not listed`);
      else {
        if (mode !== "direct" && !line.includes(`proxy --mode ${mode} --server ${name} `)) {
          problems.push(`${name}: not wired through the ${mode} proxy: ${line}`);
        }
        if (!d.connected(line)) {
          problems.push(`${name}: not connected: ${line}`);
          if (d.diagnose) problems.push(await d.diagnose(name, sb));
          const traces = (await readTraces(sb.traces)).filter((t) => t.server === name && t.mode === mode);
          for (const t of traces) problems.push(`trace ${t.file}:\n  ${t.lifecycle.join("\n  ")}`);
        }
      }
    }
    assert.deepEqual(problems, [], `${d.id} mcp list (${mode}):\n${problems.join("\n")}\n${show("list", r)}`);
  };

  // Without AgentPerms first: a failure here is the environment's, not ours.
  await expectConnected("direct");
  const before = await Deno.readFile(d.configFile(sb));

  const rec = await agentperms(["record", "--client", d.id, "--trace-dir", sb.traces], sb);
  assert.equal(rec.code, 0, show("agentperms record", rec));
  assert.match(rec.stdout, /Wired 2 server\(s\) through the record proxy/, show("agentperms record", rec));
  await expectConnected("record");

  const policy = await writePolicy(sb);
  const enf = await agentperms(
    ["enforce", "--client", d.id, "--policy", policy, "--trace-dir", sb.traces],
    sb,
  );
  assert.equal(enf.code, 0, show("agentperms enforce", enf));
  await expectConnected("enforce");

  const stop = await agentperms(["enforce", "--client", d.id, "--stop"], sb);
  assert.equal(stop.code, 0, show("agentperms enforce --stop", stop));
  const after = await Deno.readFile(d.configFile(sb));
  assert.equal(
    new TextDecoder().decode(after),
    new TextDecoder().decode(before),
    "--stop gives back the config as it was before wiring",
  );
  assert.deepEqual(after, before, "byte for byte");

  await assertTraces(sb, ["record", "enforce"]);
  await Deno.stderr.write(new TextEncoder().encode(`  ${d.id}: ${timings.join(", ")}\n`));
}

/**
 * Every server answered `initialize` through the proxy in every mode, with the trace in the test's folder,
 * and no trace of these servers anywhere else (the sandbox's state folder, the real user's).
 */
async function assertTraces(sb: Sandbox, modes: string[]): Promise<void> {
  const traces = await readTraces(sb.traces);
  for (const server of SERVERS) {
    for (const mode of modes) {
      const mine = traces.filter((t) => t.server === server && t.mode === mode);
      assert.ok(
        mine.length > 0,
        `a ${mode} trace of "${server}" in ${sb.traces}: ${traces.map((t) => t.file)}`,
      );
      assert.ok(
        mine.some((t) => t.lifecycle.some((l) => l.startsWith("server initialize:"))),
        `the ${mode} trace of "${server}" shows the server's initialize answer:\n${
          mine.map((t) => t.lifecycle.join("\n")).join("\n--\n")
        }`,
      );
    }
  }
  assert.deepEqual(filesNamed([sb.state, sb.home], MARKERS), [], "no trace outside the test's trace folder");
  assert.deepEqual(filesNamed(realStateFolders(), MARKERS), [], "nothing in the real user's state folder");
}

realTest(
  "Claude Code sees npx and node servers connected under record and enforce; --stop restores",
  (c) =>
    clientFlow(c, {
      id: "claude-code",
      bin: c.claude,
      configFile: (sb) => join(sb.home, ".claude.json"),
      trustBeforeAdd: false,
      trust: (sb) =>
        editJson(join(sb.home, ".claude.json"), (v) => {
          const projects = (v.projects ??= {}) as Record<string, Record<string, unknown>>;
          (projects[sb.project] ??= {}).hasTrustDialogAccepted = true;
        }),
      addArgs: (name, command) => ["mcp", "add", name, "--", ...command],
      connected: (line) => line.includes("✔ Connected"),
      diagnose: async (name, sb) => {
        const r = await runTool(c.claude, ["mcp", "get", name], {
          cwd: sb.project,
          env: sb.env,
          timeoutMs: LIST_TIMEOUT_MS,
        });
        return show(`claude mcp get ${name}`, r);
      },
    }),
);

realTest(
  "Gemini CLI sees npx and node servers connected under record and enforce; --stop restores",
  (c) =>
    clientFlow(c, {
      id: "gemini",
      bin: c.gemini,
      configFile: (sb) => join(sb.project, ".gemini", "settings.json"),
      // In an untrusted folder `gemini mcp add` does not read the project settings and overwrites them.
      trustBeforeAdd: true,
      trust: (sb) =>
        editJson(join(sb.home, ".gemini", "trustedFolders.json"), (v) => {
          v[sb.project] = "TRUST_FOLDER";
        }).catch(async (e) => {
          if (!(e instanceof Deno.errors.NotFound)) throw e;
          await Deno.mkdir(join(sb.home, ".gemini"), { recursive: true });
          await Deno.writeTextFile(
            join(sb.home, ".gemini", "trustedFolders.json"),
            JSON.stringify({ [sb.project]: "TRUST_FOLDER" }, null, 2),
          );
        }),
      addArgs: (name, command) => ["mcp", "add", name, ...command],
      connected: (line) => line.trimStart().startsWith("✓") && / - Connected\b/.test(line),
    }),
);

interface CodexEntry {
  name: string;
  enabled: boolean;
  transport: { type: string; command: string; args: string[] | null; env: Record<string, string> | null };
}

async function codexList(c: RealClients, sb: Sandbox): Promise<CodexEntry[]> {
  const r = await runTool(c.codex, ["mcp", "list", "--json"], {
    cwd: sb.project,
    env: sb.env,
    timeoutMs: LIST_TIMEOUT_MS,
  });
  assert.equal(r.code, 0, show("codex mcp list --json", r));
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.stdout);
  } catch (e) {
    assert.fail(`codex mcp list --json does not parse: ${(e as Error).message}\n${show("list", r)}`);
  }
  assert.ok(Array.isArray(parsed), show("codex mcp list --json is an array", r));
  return parsed as CodexEntry[];
}

function assertCodexWired(
  entries: CodexEntry[],
  mode: string,
  orig: Record<string, string[]>,
  names: readonly string[] = SERVERS,
): void {
  for (const name of names) {
    const e = entries.find((x) => x.name === name);
    assert.ok(e, `codex lists "${name}": ${JSON.stringify(entries)}`);
    assert.equal(e.enabled, true);
    assert.equal(e.transport.type, "stdio");
    const argv = [e.transport.command, ...(e.transport.args ?? [])];
    const at = argv.indexOf("proxy");
    assert.ok(at > 0, `"${name}" starts agentperms proxy: ${argv.join(" ")}`);
    assert.deepEqual(argv.slice(at, at + 5), ["proxy", "--mode", mode, "--server", name], argv.join(" "));
    assert.ok(e.transport.command.startsWith("/"), `absolute command: ${e.transport.command}`);
    const sep = argv.indexOf("--", at);
    assert.deepEqual(argv.slice(sep + 1), orig[name], `the original command follows "--": ${argv.join(" ")}`);
  }
}

/** Starts a Codex entry the way Codex would (its command, args, and the given env) and lists its tools. */
async function startLikeCodex(
  e: CodexEntry,
  env: Record<string, string>,
  cwd: string,
  timeoutMs = 45_000,
): Promise<string[]> {
  const stderr: string[] = [];
  const transport = new StdioClientTransport({
    command: e.transport.command,
    args: e.transport.args ?? [],
    env: { ...env, ...(e.transport.env ?? {}) },
    cwd,
    stderr: "pipe",
  });
  transport.stderr?.on("data", (b: Uint8Array) => stderr.push(new TextDecoder().decode(b)));
  const client = new Client({ name: "codex-like", version: "0.171.0" });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([client.connect(transport), timeout]);
    const tools = await Promise.race([client.listTools(), timeout]);
    return tools.tools.map((t) => t.name);
  } catch (err) {
    throw new Error(
      `"${e.name}" did not start as Codex starts it: ${(err as Error).message}\nenv: ${
        Object.keys(env).join(", ")
      }\nstderr (last 2000 chars): ${stderr.join("").slice(-2000)}`,
    );
  } finally {
    clearTimeout(timer);
    await client.close().catch(() => {});
  }
}

realTest(
  "Codex lists the wired command under record and enforce; the wired entry starts; --stop restores",
  async (c) => {
    await using sb = await makeSandbox("codex");
    const orig = originals(c, sb);
    for (const name of SERVERS) {
      const r = await runTool(c.codex, ["mcp", "add", name, "--", ...orig[name]], {
        cwd: sb.project,
        env: sb.env,
        timeoutMs: LIST_TIMEOUT_MS,
      });
      assert.equal(r.code, 0, show(`codex mcp add ${name}`, r));
    }
    const config = join(sb.home, ".codex", "config.toml");
    const direct = await codexList(c, sb);
    assert.deepEqual(direct.map((e) => e.name).sort(), [...SERVERS].sort());
    const before = await Deno.readFile(config);

    const rec = await agentperms(["record", "--client", "codex", "--trace-dir", sb.traces], sb);
    assert.equal(rec.code, 0, show("agentperms record", rec));
    const recorded = await codexList(c, sb);
    assertCodexWired(recorded, "record", orig);
    // `codex mcp list` does not connect: start each wired entry as Codex would, with the test's environment.
    for (const e of recorded) {
      const tools = await startLikeCodex(e, sb.env, sb.project);
      assert.ok(tools.length > 0, `"${e.name}" lists tools through the record proxy`);
    }

    const policy = await writePolicy(sb);
    const enf = await agentperms([
      "enforce",
      "--client",
      "codex",
      "--policy",
      policy,
      "--trace-dir",
      sb.traces,
    ], sb);
    assert.equal(enf.code, 0, show("agentperms enforce", enf));
    const enforced = await codexList(c, sb);
    assertCodexWired(enforced, "enforce", orig);
    for (const e of enforced) {
      const tools = await startLikeCodex(e, sb.env, sb.project);
      assert.ok(tools.length > 0, `"${e.name}" lists tools through the enforce proxy`);
    }

    const stop = await agentperms(["enforce", "--client", "codex", "--stop"], sb);
    assert.equal(stop.code, 0, show("agentperms enforce --stop", stop));
    assert.deepEqual(await Deno.readFile(config), before, "--stop gives back config.toml byte for byte");
    assert.deepEqual(await codexList(c, sb), direct);
    await assertTraces(sb, ["record", "enforce"]);
  },
);

realTest(
  "Codex's short server environment: the wired proxy starts with only what Codex passes (issue 17.3)",
  async (c) => {
    await using sb = await makeSandbox("codex-env");
    const orig = originals(c, sb);
    const add = await runTool(c.codex, ["mcp", "add", NODE_SERVER, "--", ...orig[NODE_SERVER]], {
      cwd: sb.project,
      env: sb.env,
      timeoutMs: LIST_TIMEOUT_MS,
    });
    assert.equal(add.code, 0, show("codex mcp add", add));
    // Wired from the user's full environment (their DENO_DIR, CA bundle); started later by Codex with its allowlist.
    const rec = await agentperms(["record", "--client", "codex", "--trace-dir", sb.traces], sb);
    assert.equal(rec.code, 0, show("agentperms record", rec));
    const entry = (await codexList(c, sb)).find((e) => e.name === NODE_SERVER)!;
    assertCodexWired([entry], "record", orig, [NODE_SERVER]);
    const codexEnv: Record<string, string> = {};
    for (const k of CODEX_ENV_ALLOWLIST) if (sb.env[k] !== undefined) codexEnv[k] = sb.env[k];
    // A proxy that carries its own environment starts in about a second; with a cold Deno cache it downloads
    // its whole dependency graph first (minutes), which no client waits for.
    const tools = await startLikeCodex(entry, codexEnv, sb.project, 30_000);
    assert.ok(tools.includes("read_text_file"), `tools: ${tools}`);
    const traces = (await readTraces(sb.traces)).filter((t) => t.server === NODE_SERVER);
    assert.ok(traces.length > 0, "a trace in the test's folder");
  },
);

realTest(
  "A long TMPDIR (macOS's is /var/folders/…/T/, about 50 bytes) does not stop an enforced server",
  async (c) => {
    await using sb = await makeSandbox("tmpdir");
    const orig = originals(c, sb);
    const add = await runTool(c.codex, ["mcp", "add", NPX_SERVER, "--", ...orig[NPX_SERVER]], {
      cwd: sb.project,
      env: sb.env,
      timeoutMs: LIST_TIMEOUT_MS,
    });
    assert.equal(add.code, 0, show("codex mcp add", add));
    const policy = await writePolicy(sb);
    const enf = await agentperms([
      "enforce",
      "--client",
      "codex",
      "--policy",
      policy,
      "--trace-dir",
      sb.traces,
    ], sb);
    assert.equal(enf.code, 0, show("agentperms enforce", enf));
    const entry = (await codexList(c, sb)).find((e) => e.name === NPX_SERVER)!;
    assertCodexWired([entry], "enforce", orig, [NPX_SERVER]);
    // 50 bytes, like /var/folders/zz/zyxvpxvq6csfxvn_n0000000000000/T/ on macOS.
    const tmp = join(sb.root, "t".repeat(Math.max(1, 50 - sb.root.length - 1)));
    await Deno.mkdir(tmp);
    const tools = await startLikeCodex(entry, { ...sb.env, TMPDIR: tmp }, sb.project);
    assert.ok(tools.includes("read_graph"), `tools: ${tools}`);
  },
);
