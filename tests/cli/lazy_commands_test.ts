/**
 * Commands load lazily (`COMMANDS` in src/cli/commands/mod.ts, `selectCommands`): the proxy that every MCP
 * client starts for every server must load no other command's code, and nothing a user sees may change.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { COMMANDS } from "../../src/cli/commands/mod.ts";
import { fakeIo } from "../../src/cli/io.ts";
import { buildProgram, run } from "../../src/cli/run.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const env = { io: fakeIo(), setExit: () => {}, debug: () => false };

Deno.test("COMMANDS: each row names exactly the commands its module registers", async () => {
  for (const row of COMMANDS) {
    const program = buildProgram(env, [await row.load()]);
    const registered = program.commands.flatMap((c) => [c.name(), ...c.aliases()]);
    assert.deepEqual([...registered].sort(), [...row.names].sort());
  }
});

Deno.test("buildProgram(): the root options are only --version and --debug, and neither takes a value", () => {
  // selectCommands() skips --debug and stops at a version flag when it looks for the command name; a root
  // option that takes a value would make it mistake that value for a command, so update it with this list.
  const root = buildProgram(env, []);
  assert.deepEqual(root.options.map((o) => o.long).sort(), ["--debug", "--version"]);
  for (const o of root.options) assert.ok(!o.required && !o.optional, o.flags);
});

Deno.test("run(): `<command> --help` with only that command loaded equals `help <command>` from the full program", async () => {
  for (const name of COMMANDS.flatMap((r) => r.names)) {
    const lazy = fakeIo();
    const lazyCode = await run([name, "--help"], lazy);
    const full = fakeIo();
    const fullCode = await run(["help", name], full); // "help" is no command name: the whole table loads
    assert.equal(lazyCode, 0, name);
    assert.equal(fullCode, 0, name);
    assert.ok(lazy.stdoutText().startsWith(`Usage: agentperms ${name} `), name);
    assert.equal(lazy.stdoutText(), full.stdoutText(), name);
    assert.equal(lazy.stderrText(), full.stderrText(), name);
  }
});

interface InfoModule {
  specifier: string;
  dependencies?: { code?: { specifier?: string }; isDynamic?: boolean }[];
}

/** The modules `entry` loads before any dynamic import runs (`deno info --json`, static edges only). */
async function staticGraph(entry: string): Promise<Set<string>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "--config", `${ROOT}deno.json`, `${ROOT}${entry}`],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    roots: string[];
    modules: InfoModule[];
    redirects: Record<string, string>;
  };
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const todo = [...info.roots];
  while (todo.length > 0) {
    const raw = todo.pop()!;
    const s = info.redirects[raw] ?? raw;
    if (seen.has(s)) continue;
    seen.add(s);
    for (const d of bySpecifier.get(s)?.dependencies ?? []) {
      if (!d.isDynamic && d.code?.specifier) todo.push(d.code.specifier);
    }
  }
  return new Set([...seen].map((s) => s.startsWith(`file://${ROOT}`) ? s.slice(`file://${ROOT}`.length) : s));
}

Deno.test("the proxy's module graph holds no other command and none of their areas or packages", async () => {
  // What `agentperms _proxy …` loads: the entry, the proxy command's registration, then its action. The shell
  // parser (mvdan-sh) loads after the server's first answer (runProxy's beforeCalls), never before it.
  const graph = new Set<string>();
  for (const entry of ["cli.ts", "src/cli/commands/proxy.ts", "src/cli/commands/run_proxy_command.ts"]) {
    for (const m of await staticGraph(entry)) graph.add(m);
  }
  const allowedCommands = ["mod.ts", "proxy.ts", "run_proxy_command.ts", "_open_telemetry.ts"].map((f) =>
    `src/cli/commands/${f}`
  );
  const foreign = [...graph].filter((m) =>
    (m.startsWith("src/cli/commands/") && !allowedCommands.includes(m)) ||
    // src/plugins: the attack-pack loader (zod schemas, yaml), which only replay needs.
    /^(src\/(report|infer|scan|replay|clients|lock|init|plugins)\/|attacks\/)/.test(m) ||
    /^npm:\/?(preact|preact-render-to-string|playwright-core|diff|cli-table3|jsonc-parser|smol-toml|mvdan-sh|@modelcontextprotocol\/sdk)@/
      .test(m)
  );
  assert.deepEqual(foreign, []);
  // Sanity: the graph really is the proxy's (a broken walk would pass the check above vacuously).
  for (const m of ["src/cli/commands/run_proxy_command.ts", "src/proxy/mod.ts", "src/policy/mod.ts"]) {
    assert.ok(graph.has(m), m);
  }
});

Deno.test("cli.ts statically loads no command module: each is imported when its command runs", async () => {
  const graph = await staticGraph("cli.ts");
  assert.deepEqual([...graph].filter((m) => m.startsWith("src/cli/commands/")), ["src/cli/commands/mod.ts"]);
});

Deno.test("the built-in guard packs, server profiles and redaction packs are data: importing them runs no validator", async () => {
  // Validating them at import (zod, RE2, every sample) cost every proxy start tens of ms (#20 item 6); their
  // tests validate them instead. A `defineGuardPack`/`defineServerProfile`/`defineRedactor` call here would load
  // src/profiles or src/redact/define_redactor.ts.
  const entries = [
    ["guards/mod.ts", "guards/"],
    ["profiles/mod.ts", "profiles/"],
    ["plugins/mod.ts", "plugins/"],
  ] as const;
  for (const [entry, folder] of entries) {
    const graph = await staticGraph(entry);
    assert.ok(graph.has(entry), entry);
    const outside = [...graph].filter((m) => !m.startsWith(folder) && m !== "src/redact/redacted.ts");
    assert.deepEqual(outside, [], entry);
  }
});
