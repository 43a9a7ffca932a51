import assert from "node:assert/strict";
import { join } from "node:path";
import { initializeOnce, proxyArgv, ROOT, sdkClient, tempDir, traceEvents } from "../proxy/_helpers.ts";
import { otelEnv, startOtlpReceiver } from "./_otlp_receiver.ts";

const PY = join(ROOT, "tests/fixtures/servers/py_server.py");
const SECRET_PATH = "/etc/agentperms-otel-secret-value";

async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
}

Deno.test("proxy --otel: every judged call reaches the OTLP receiver with its verdict and rule, never its arguments", async () => {
  await using dir = await tempDir();
  await using rx = startOtlpReceiver();
  const policy = join(dir.path, "mcp.policy.yaml");
  await Deno.writeTextFile(
    policy,
    `version: 1\nservers:\n  py:\n    allowed_tools: [echo, read_file]\n    denied_paths: [/etc]\n    sandbox: { mode: off }\n`,
  );
  const argv = proxyArgv(
    { mode: "enforce", server: "py", policy, traceDir: dir.path, extra: ["--otel", "--no-contain"] },
    ["python3", PY],
  );
  {
    await using client = await sdkClient(argv, {
      env: {
        ...otelEnv(rx.endpoint),
        OTEL_BSP_MAX_QUEUE_SIZE: "65536",
        HOME: dir.path,
        AGENTPERMS_OTEL_SPANS: "all",
      },
    });
    await client.listTools();
    await client.callTool({ name: "echo", arguments: { text: "hello-otel-argument" } });
    // A name the server never listed is the agent's text: it is exported as "(unlisted)".
    await client.callTool({ name: "tool_named_SECRET_TEXT", arguments: {} }).catch(() => undefined);
    const denied = await client.callTool({ name: "read_file", arguments: { path: SECRET_PATH } });
    assert.equal(denied.isError, true);
    await client.callTool({
      name: "echo",
      arguments: { text: "x" },
      _meta: { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" },
    });
  }
  await waitFor(() => rx.spans.length >= 4 && rx.logs.some((l) => String(l.body).includes("proxy.stop")));
  const calls = rx.spans.filter((s) => s.attributes["mcp.method.name"] === "tools/call");
  assert.equal(calls.length, 4, JSON.stringify(rx.spans.map((s) => s.name)));
  assert.ok(calls.some((s) => s.name === "tools/call (unlisted)"));
  const deny = calls.find((s) =>
    s.attributes["agentperms.verdict"] === "deny" && s.name.endsWith("read_file")
  )!;
  assert.equal(deny.name, "tools/call read_file");
  assert.equal(deny.attributes["agentperms.server"], "py");
  assert.deepEqual(deny.attributes["agentperms.rule_ids"], ["servers.py.denied_paths[0]"]);
  // The span and the trace line share the decision id.
  const traced = (await traceEvents(dir.path)).find((e) => e.tool === "read_file" && e.kind === "call")!;
  assert.equal(deny.attributes["agentperms.decision_id"], traced.decision?.decisionId);
  const child = calls.find((s) => s.traceId === "4bf92f3577b34da6a3ce929d0e0e4736");
  assert.ok(child, "a client traceparent makes the decision part of the client's trace");
  assert.equal(child.parentSpanId, "00f067aa0ba902b7");
  assert.ok(rx.logs.some((l) => String(l.body).includes("agentperms proxy.start")));
  const all = rx.raw.join("\n");
  assert.ok(!all.includes("hello-otel-argument"), "argument values never leave the machine");
  assert.ok(!all.includes(SECRET_PATH), "nor paths quoted in a reason");
  assert.ok(!all.includes("SECRET_TEXT"), "nor a tool name the server never listed");
});

Deno.test("proxy --otel without OTEL_DENO says export is off and how to turn it on, and still serves", async () => {
  await using dir = await tempDir();
  const argv = proxyArgv(
    { mode: "record", server: "py", traceDir: dir.path, extra: ["--otel", "--no-contain"] },
    ["python3", PY],
  );
  const { stdout, stderr } = await initializeOnce(argv, { HOME: dir.path });
  assert.match(stdout, /"serverInfo"/, "the proxy still answers");
  assert.match(stderr, /--otel: OpenTelemetry export is off .*OTEL_DENO=true/);
});

Deno.test("proxy --url with OTEL_DENO on refuses a URL whose secret Deno's HTTP tracing would export", async () => {
  await using dir = await tempDir();
  const argv = proxyArgv(
    {
      mode: "record",
      server: "zap",
      traceDir: dir.path,
      extra: ["--url", "http://127.0.0.1:9/mcp?api_key=sk_x"],
    },
    [],
  ).filter((a) => a !== "--");
  const out = await new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { HOME: dir.path, OTEL_DENO: "true", OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9" },
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.notEqual(out.code, 0);
  assert.match(stderr, /query string: Deno's own HTTP tracing would export it/);
  assert.ok(!stderr.includes("sk_x"), "the refusal does not quote the secret");
});
