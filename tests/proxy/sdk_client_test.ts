/**
 * End to end: the MCP SDK `Client` → `agentperms proxy` → real npm servers (filesystem, everything, memory)
 * and the demo server, in record and enforce mode.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
// @ts-types="@modelcontextprotocol/sdk/types"
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import {
  demoServer,
  DENO,
  firstText,
  npmServer,
  proxyArgv,
  RawProxy,
  ROOT,
  sdkClient,
  tempDir,
  traceEvents,
} from "./_helpers.ts";

const DEMO_POLICY = join(ROOT, "examples/policies/demo.mcp.policy.yaml");

Deno.test("proxy enforce: server-filesystem reads inside allowed_paths and blocks traversal, symlinks and ~/.ssh", async () => {
  await using tmp = await tempDir();
  const root = join(tmp.path, "root");
  await Deno.mkdir(join(root, "allowed"), { recursive: true });
  await Deno.mkdir(join(root, "secret"));
  await Deno.writeTextFile(join(root, "allowed/a.txt"), "hello");
  await Deno.writeTextFile(join(root, "secret/s.txt"), "SECRET");
  await Deno.symlink(join(root, "secret/s.txt"), join(root, "allowed/link"));
  const policy = join(tmp.path, "p.yaml");
  await Deno.writeTextFile(
    policy,
    `version: 1\nservers:\n  fs:\n    allowed_tools: [read_text_file, read_multiple_files, list_directory]\n    allowed_paths: [${root}/allowed]\n    denied_paths: [~/.ssh]\n`,
  );
  const traces = join(tmp.path, "traces");
  await using client = await sdkClient(
    proxyArgv(
      { mode: "enforce", server: "fs", policy, traceDir: traces },
      npmServer("filesystem", {
        flags: ["--allow-env=__MINIMATCH_TESTING_PLATFORM__", `--allow-read=${root}`],
        args: [root],
      }),
    ),
  );
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((t) => t.name).sort(), [
    "list_directory",
    "read_multiple_files",
    "read_text_file",
  ]);
  const ok = await client.callTool({
    name: "read_text_file",
    arguments: { path: join(root, "allowed/a.txt") },
  });
  assert.equal(firstText(ok), "hello");
  for (
    const args of [
      { path: join(root, "allowed/../secret/s.txt") },
      { path: join(root, "allowed/link") },
      { path: "~/.ssh/id_rsa" },
    ]
  ) {
    const r = await client.callTool({ name: "read_text_file", arguments: args });
    assert.equal(r.isError, true, JSON.stringify(args));
    assert.match(firstText(r), /^AgentPerms blocked this call: /);
    assert.doesNotMatch(firstText(r), /SECRET/);
  }
  const multi = await client.callTool({
    name: "read_multiple_files",
    arguments: { paths: [join(root, "allowed/a.txt"), join(root, "secret/s.txt")] },
  });
  assert.equal(multi.isError, true);
  // Hidden tool, called directly: still denied.
  const hidden = await client.callTool({
    name: "write_file",
    arguments: { path: join(root, "allowed/x"), content: "x" },
  });
  assert.match(firstText(hidden), /not in allowed_tools/);
  await client.close();
  const events = await traceEvents(traces);
  const calls = events.filter((e) => e.kind === "call");
  assert.equal(calls.length, 6);
  assert.equal(calls.filter((e) => e.decision?.verdict === "deny").length, 5);
  assert.ok(events.some((e) => e.kind === "tools"));
  const file = [...Deno.readDirSync(traces)][0]!;
  assert.equal(Deno.statSync(join(traces, file.name)).mode! & 0o777, 0o600);
});

Deno.test("proxy record: server-everything gets every call (denied ones too) and each is traced with its decision", async () => {
  await using tmp = await tempDir();
  const policy = join(tmp.path, "p.yaml");
  await Deno.writeTextFile(policy, "version: 1\nservers:\n  everything:\n    allowed_tools: [echo]\n");
  const traces = join(tmp.path, "traces");
  await using client = await sdkClient(
    proxyArgv({ mode: "record", server: "everything", policy, traceDir: traces }, npmServer("everything")),
  );
  const { tools } = await client.listTools();
  assert.ok(tools.length > 5, "record mode shows every tool");
  assert.equal(firstText(await client.callTool({ name: "echo", arguments: { message: "hi" } })), "Echo: hi");
  const sum = await client.callTool({ name: "get-sum", arguments: { a: 1, b: 2 } });
  assert.match(firstText(sum), /3/);
  await client.close();
  const calls = (await traceEvents(traces)).filter((e) => e.kind === "call");
  assert.deepEqual(calls.map((e) => [e.tool, e.decision?.verdict, e.forwarded, e.result?.outcome]), [
    ["echo", "allow", true, "ok"],
    ["get-sum", "deny", true, "ok"],
  ]);
  assert.equal(typeof calls[0]!.latencyMs, "number");
  // Containment in record mode: the server ran under the audit log, folded into the trace at exit.
  const all = await traceEvents(traces);
  assert.ok(all.some((e) => e.kind === "containment"), "audit events folded into the trace");
  assert.ok(
    !Deno.readDirSync(traces).some((f) => f.name.endsWith(".permissions.jsonl")),
    "raw audit log removed",
  );
});

Deno.test("proxy enforce: server-everything resources/read and prompts/get are judged, lists pass", async () => {
  await using tmp = await tempDir();
  const policy = join(tmp.path, "p.yaml");
  await Deno.writeTextFile(
    policy,
    "version: 1\nservers:\n  everything:\n    allowed_tools: [echo]\n    denied_paths: [/etc]\n",
  );
  await using client = await sdkClient(
    proxyArgv(
      { mode: "enforce", server: "everything", policy, traceDir: join(tmp.path, "t") },
      npmServer("everything"),
    ),
  );
  const { resourceTemplates } = await client.listResourceTemplates();
  assert.ok(resourceTemplates.length > 0);
  await assert.rejects(
    () => client.readResource({ uri: "file:///etc/passwd" }),
    /AgentPerms blocked this call/,
  );
  const r = await client.readResource({ uri: "demo://resource/dynamic/text/1" });
  assert.ok(r.contents.length > 0);
  const { prompts } = await client.listPrompts();
  assert.ok(prompts.some((p) => p.name === "args-prompt"));
  await assert.rejects(
    () => client.getPrompt({ name: "args-prompt", arguments: { city: "/etc/passwd" } }),
    /AgentPerms blocked this call/,
  );
  const ok = await client.getPrompt({ name: "args-prompt", arguments: { city: "Paris" } });
  assert.ok(ok.messages.length > 0);
  await client.ping();
});

Deno.test("proxy enforce and record: server-memory keeps working and hides denied tools", async () => {
  await using tmp = await tempDir();
  const mem = join(tmp.path, "mem");
  await Deno.mkdir(mem);
  const policy = join(tmp.path, "p.yaml");
  await Deno.writeTextFile(
    policy,
    "version: 1\nservers:\n  memory:\n    denied_tools: [delete_entities, delete_relations]\n",
  );
  const server = npmServer("memory", {
    flags: ["--allow-env=MEMORY_FILE_PATH", `--allow-read=${mem}`, `--allow-write=${mem}`],
  });
  const env = { MEMORY_FILE_PATH: join(mem, "memory.jsonl") };
  for (const mode of ["enforce", "record"] as const) {
    await using client = await sdkClient(
      proxyArgv({
        mode,
        server: "memory",
        policy,
        traceDir: join(tmp.path, `t-${mode}`),
        extra: ["--server-env", "MEMORY_FILE_PATH"], // as record/enforce wire it from the client config
      }, server),
      { env },
    );
    const names = (await client.listTools()).tools.map((t) => t.name);
    assert.equal(names.includes("delete_entities"), mode === "record");
    await client.callTool({
      name: "create_entities",
      arguments: { entities: [{ name: `e-${mode}`, entityType: "t", observations: ["o"] }] },
    });
    const graph = await client.callTool({ name: "read_graph", arguments: {} });
    assert.match(firstText(graph), new RegExp(`e-${mode}`));
    const del = await client.callTool({ name: "delete_entities", arguments: { entityNames: [`e-${mode}`] } });
    assert.equal(del.isError === true, mode === "enforce");
  }
});

Deno.test("proxy enforce: a client that declared elicitation is asked, and its answer decides", async () => {
  await using tmp = await tempDir();
  const answers: string[] = ["allow", "deny"];
  const asked: string[] = [];
  await using client = await sdkClient(
    proxyArgv(
      { mode: "enforce", server: "demo", policy: DEMO_POLICY, traceDir: join(tmp.path, "t") },
      demoServer(),
    ),
    { capabilities: { elicitation: {} } },
  );
  client.setRequestHandler(ElicitRequestSchema, (req) => {
    asked.push(String((req.params as { message?: string }).message));
    return { action: "accept", content: { decision: answers.shift()! } };
  });
  const args = { to: "bob@example.com", subject: "hi", body: "the report" };
  const ok = await client.callTool({ name: "send_email", arguments: args });
  assert.match(firstText(ok), /\[demo\] would run send_email/);
  assert.match(asked[0]!, /"demo"[\s\S]*"send_email"[\s\S]*"to": "bob@example.com"/);
  const no = await client.callTool({ name: "send_email", arguments: { ...args, to: "eve@example.com" } });
  assert.equal(no.isError, true);
  assert.match(firstText(no), /approval denied/);
});

Deno.test("proxy enforce: the demo's dangerous tools are hidden and blocked; approval without a channel is denied", async () => {
  await using tmp = await tempDir();
  await using client = await sdkClient(
    proxyArgv(
      { mode: "enforce", server: "demo", policy: DEMO_POLICY, traceDir: join(tmp.path, "t") },
      demoServer(),
    ),
  );
  const names = (await client.listTools()).tools.map((t) => t.name);
  assert.deepEqual(names.sort(), ["create_issue", "list_repos", "read", "send_email", "write"]);
  const del = await client.callTool({ name: "delete_repo", arguments: { repo: "me/prod" } });
  assert.match(firstText(del), /blocked this call: Tool "delete_repo" is in denied_tools/);
  const mail = await client.callTool({
    name: "send_email",
    arguments: { to: "a@b.c", subject: "s", body: "b" },
  });
  assert.match(firstText(mail), /approval required and no approval channel available/);
});

Deno.test("proxy refuses to start in enforce mode without a policy or with an invalid one", async () => {
  await using tmp = await tempDir();
  const bad = join(tmp.path, "bad.yaml");
  await Deno.writeTextFile(bad, "version: 1\nservers:\n  demo:\n    alowed_tools: [x]\n");
  const cases: [string[], number, RegExp][] = [
    [[], 2, /Enforce mode needs a policy/],
    [["--policy", bad], 3, /alowed_tools/],
    [["--policy", join(tmp.path, "missing.yaml")], 3, /does not exist/],
  ];
  for (const [extra, code, msg] of cases) {
    const argv = proxyArgv(
      { mode: "enforce", server: "demo", traceDir: join(tmp.path, "t"), extra },
      demoServer(),
    );
    await using p = new RawProxy(argv);
    assert.equal(await p.exit(), code, p.stderr);
    assert.match(p.stderr, msg);
    assert.equal(p.messages.length, 0, "nothing on stdout");
  }
});

Deno.test("proxy containment: only the env names the client config chose (--server-env) reach the server", async () => {
  await using tmp = await tempDir();
  const policy = join(tmp.path, "p.yaml");
  await Deno.writeTextFile(policy, "version: 1\nservers:\n  fake:\n    allowed_tools: [env]\n");
  const fake = [DENO, "run", "--no-config", "--no-prompt", join(ROOT, "tests/proxy/_fake_server.ts"), "env"];
  const env = { AP_TEST_TOKEN: "t0ken", AP_OTHER_SECRET: "s3cret" };
  for (
    const [name, extra, want] of [
      ["AP_TEST_TOKEN", ["--server-env", "AP_TEST_TOKEN"], "t0ken"],
      // The OS sandbox scrubs the environment: the other secret is not there at all.
      ["AP_OTHER_SECRET", ["--server-env", "AP_TEST_TOKEN"], "unset"],
    ] as const
  ) {
    await using client = await sdkClient(
      proxyArgv(
        { mode: "enforce", server: "fake", policy, traceDir: join(tmp.path, "t"), extra: [...extra] },
        [
          ...fake,
          name,
        ],
      ),
      { env },
    );
    assert.equal(firstText(await client.callTool({ name: "env", arguments: {} })), want, name);
  }
});

Deno.test("proxy record: server-filesystem gets the calls the policy would deny, and the trace says so", async () => {
  await using tmp = await tempDir();
  const root = join(tmp.path, "root");
  await Deno.mkdir(join(root, "src"), { recursive: true });
  await Deno.writeTextFile(join(root, "src/a.txt"), "A");
  await Deno.writeTextFile(join(root, "notes.txt"), "N");
  const policy = join(tmp.path, "p.yaml");
  await Deno.writeTextFile(policy, `version: 1\nservers:\n  fs:\n    allowed_paths: [${root}/src]\n`);
  const traces = join(tmp.path, "t");
  {
    await using client = await sdkClient(
      proxyArgv(
        // --no-contain: with a policy, containment would narrow the server's root to allowed_paths even in
        // record mode; this test is about the JSON-RPC layer forwarding what it would deny.
        { mode: "record", server: "fs", policy, traceDir: traces, extra: ["--no-contain"] },
        npmServer("filesystem", {
          flags: ["--allow-env=__MINIMATCH_TESTING_PLATFORM__", `--allow-read=${root}`],
          args: [root],
        }),
      ),
    );
    assert.equal(
      firstText(
        await client.callTool({ name: "read_text_file", arguments: { path: join(root, "src/a.txt") } }),
      ),
      "A",
    );
    // Outside allowed_paths: recorded as a deny, but record mode forwards it.
    assert.equal(
      firstText(
        await client.callTool({ name: "read_text_file", arguments: { path: join(root, "notes.txt") } }),
      ),
      "N",
    );
  }
  const calls = (await traceEvents(traces)).filter((e) => e.kind === "call");
  assert.deepEqual(calls.map((e) => [e.decision?.verdict, e.forwarded, e.result?.outcome]), [
    ["allow", true, "ok"],
    ["deny", true, "ok"],
  ]);
  assert.deepEqual(calls[1]!.decision?.ruleIds, ["servers.fs.allowed_paths"]);
});

Deno.test("proxy --deny-style jsonrpc: a denied tools/call is a JSON-RPC error -32001 with decisionId and ruleIds", async () => {
  await using tmp = await tempDir();
  await using client = await sdkClient(
    proxyArgv({
      mode: "enforce",
      server: "demo",
      policy: DEMO_POLICY,
      traceDir: join(tmp.path, "t"),
      extra: ["--deny-style", "jsonrpc"],
    }, demoServer()),
  );
  const err = await client.callTool({ name: "exec", arguments: { command: "id" } }).then(
    () => undefined,
    (e: unknown) => e as { code?: number; data?: { ruleIds?: string[]; decisionId?: string } },
  );
  assert.equal(err?.code, -32001);
  assert.deepEqual(err?.data?.ruleIds, ["servers.demo.denied_tools[2]"]);
  assert.match(String(err?.data?.decisionId), /-\d+$/);
});
