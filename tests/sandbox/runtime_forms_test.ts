/**
 * Every runtime form starts, answers initialize and tools/list, and runs a tool call behind the proxy in
 * the OS sandbox, in record and in enforce mode: a Python server, a shell-script server standing in for a
 * native binary, and the reference npm servers in `npx -y pkg@ver` and locally installed `node …/dist/…`
 * form. Plus npx's install step on a cold cache: npm may reach only the registry.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { installCompatServers } from "./compat/install.ts";
import { connect, makeFixture, proxyPlan, traceEventsIn } from "./_helpers.ts";

const FIX = fileURLToPath(new URL("../fixtures/servers/", import.meta.url));
const REAL_HOME = Deno.env.get("HOME") ?? "/root";
const DENO_DIR = Deno.env.get("DENO_DIR") ?? join(REAL_HOME, ".cache/deno");
const V = "2026.8.31";

interface Form {
  name: string;
  argv: (w: string, entries: Record<string, string>) => string[];
  env?: (w: string) => Record<string, string>;
  call: [string, Record<string, unknown>, RegExp];
  /** A second call whose result the first one's effect shows (memory's graph). */
  then?: [string, Record<string, unknown>, RegExp];
}

const FORMS: Form[] = [
  {
    name: "python",
    argv: () => ["python3", join(FIX, "py_server.py")],
    call: ["echo", { text: "hi" }, /^hi$/],
  },
  { name: "native", argv: () => [join(FIX, "sh_server.sh")], call: ["hello", {}, /hello from sh/] },
  {
    name: "fs-npx",
    argv: (w) => ["npx", "-y", `@modelcontextprotocol/server-filesystem@${V}`, w],
    call: ["read_text_file", { path: "<W>/a.txt" }, /^hello$/],
  },
  {
    name: "fs-node",
    argv: (w, e) => ["node", e.filesystem!, w],
    call: ["read_text_file", { path: "<W>/a.txt" }, /^hello$/],
  },
  {
    name: "memory-npx",
    argv: () => ["npx", "-y", `@modelcontextprotocol/server-memory@${V}`],
    env: (w) => ({ MEMORY_FILE_PATH: join(w, "mem/memory.jsonl") }),
    call: ["create_entities", { entities: [{ name: "e1", entityType: "t", observations: ["o"] }] }, /e1/],
    then: ["read_graph", {}, /"name": "e1"/],
  },
  {
    name: "memory-node",
    argv: (_w, e) => ["node", e.memory!],
    env: (w) => ({ MEMORY_FILE_PATH: join(w, "mem/memory.jsonl") }),
    call: ["create_entities", { entities: [{ name: "e2", entityType: "t", observations: ["o"] }] }, /e2/],
    then: ["read_graph", {}, /"name": "e2"/],
  },
  {
    name: "everything-npx",
    argv: () => ["npx", "-y", `@modelcontextprotocol/server-everything@${V}`],
    call: ["echo", { message: "hi" }, /Echo: hi/],
  },
];

for (const mode of ["record", "enforce"] as const) {
  Deno.test(`every runtime form starts and works in the OS sandbox (${mode})`, async () => {
    const entries = await installCompatServers(
      join(fileURLToPath(new URL("../../", import.meta.url)), ".cache/compat-servers"),
    );
    const failures: string[] = [];
    for (const f of FORMS) {
      await using fx = await makeFixture();
      const W = join(fx.root, "allowed");
      await Deno.mkdir(join(W, "mem"));
      const policy = join(fx.root, "p.yaml");
      await Deno.writeTextFile(policy, `version: 1\nservers:\n  ${f.name}:\n    allowed_paths: [${W}]\n`);
      const home = join(fx.root, "home");
      await Deno.mkdir(home);
      const extraEnv = f.env?.(W) ?? {};
      const traces = join(fx.root, "traces");
      try {
        await using c = await connect(proxyPlan({
          mode,
          server: f.name,
          policy,
          traceDir: traces,
          env: { HOME: home, DENO_DIR, npm_config_cache: join(REAL_HOME, ".npm"), ...extraEnv },
          extra: Object.keys(extraEnv).length > 0 ? ["--server-env", Object.keys(extraEnv).join(",")] : [],
        }, f.argv(W, entries)));
        const tools = (await c.client.listTools()).tools.map((t) => t.name);
        assert.ok(tools.includes(f.call[0]), `${f.name}: tools ${tools}`);
        const args = JSON.parse(JSON.stringify(f.call[1]).replaceAll("<W>", W));
        const r = await c.text(f.call[0], args);
        assert.match(r.text, f.call[2], `${f.name}: ${r.text}`);
        if (f.then) assert.match((await c.text(f.then[0], f.then[1])).text, f.then[2], f.name);
      } catch (e) {
        failures.push(`${f.name}: ${(e as Error).message}`);
        continue;
      }
      const events = await traceEventsIn(traces);
      if (!events.some((e) => e.kind === "lifecycle" && /is contained \(OS sandbox/.test(e.detail ?? ""))) {
        failures.push(`${f.name}: not contained`);
      }
    }
    assert.deepEqual(failures, []);
  });
}

Deno.test("npx on a cold cache: the package is installed by npm in a sandbox that reaches only the registry", async () => {
  await using fx = await makeFixture();
  const cache = join(fx.root, "npm-cache");
  const home = join(fx.root, "home");
  await Deno.mkdir(home);
  const policy = join(fx.root, "p.yaml");
  await Deno.writeTextFile(policy, "version: 1\nservers:\n  st: {}\n");
  const traces = join(fx.root, "traces");
  {
    await using c = await connect(proxyPlan({
      mode: "enforce",
      server: "st",
      policy,
      traceDir: traces,
      env: { HOME: home, DENO_DIR, npm_config_cache: cache },
    }, ["npx", "-y", `@modelcontextprotocol/server-sequential-thinking@${V}`]));
    assert.ok((await c.client.listTools()).tools.some((t) => t.name === "sequentialthinking"));
  }
  const events = await traceEventsIn(traces);
  const install = events.filter((e) => e.source === "egress" && /^before start: /.test(e.detail ?? ""));
  assert.ok(install.length > 0, "npm reached the registry through the egress proxy");
  assert.ok(
    install.every((e) =>
      e.decision?.ruleIds.includes("sandbox/prepare") && /registry\.npmjs\.org/.test(String(e.value))
    ),
    JSON.stringify(install.map((e) => [e.value, e.decision])),
  );
  // The server itself got no network: nothing it dialled was allowed.
  assert.ok(
    events.filter((e) => e.source === "egress" && !/^before start: /.test(e.detail ?? "")).every((e) =>
      e.decision?.verdict === "deny"
    ),
  );
});
