import assert from "node:assert/strict";
import { compilePolicy, parsePolicy } from "../policy/mod.ts";
import { type BrokerCheck, startBroker } from "./mod.ts";

async function ask(conn: Deno.Conn, lines: string[]): Promise<Array<Record<string, unknown>>> {
  await conn.write(new TextEncoder().encode(lines.join("")));
  const want = lines.length;
  let buf = "";
  const b = new Uint8Array(4096);
  while (buf.split("\n").length - 1 < want) {
    const n = await conn.read(b);
    if (n === null) break;
    buf += new TextDecoder().decode(b.subarray(0, n));
  }
  return buf.trim().split("\n").map((l) => JSON.parse(l));
}

const req = (id: number, permission: string, value: string | null) =>
  JSON.stringify({ v: 1, pid: 1, id, datetime: "2026-11-24T00:00:00Z", permission, value }) + "\n";

Deno.test("startBroker() answers each request line by id through decide(), derives grants from the policy when none are given", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "ap-broker-" }));
  const policy = compilePolicy(
    parsePolicy(`version: 1\nservers:\n  s:\n    allowed_paths: [${dir}/ok]\n    sandbox: { env: [FOO] }\n`, {
      file: "p",
    }).policy,
    { baseDir: dir, home: "/h" },
  );
  const checks: BrokerCheck[] = [];
  const socketPath = `${dir}/b.sock`;
  const broker = await startBroker({
    socketPath,
    policy,
    server: "s",
    home: "/h",
    cwd: dir,
    onCheck: (c) => checks.push(c),
  });
  try {
    const c1 = await Deno.connect({ transport: "unix", path: socketPath });
    const c2 = await Deno.connect({ transport: "unix", path: socketPath }); // a child deno connects too
    const r1 = await ask(c1, [
      req(1, "read", `${dir}/ok/a`),
      req(2, "read", `${dir}/other`),
      req(3, "env", "FOO"),
    ]);
    assert.deepEqual(r1.map((r) => [r.id, r.result]), [[1, "allow"], [2, "deny"], [3, "allow"]]);
    assert.match(
      String(r1[1]!.reason),
      /^AgentPerms containment: Read of ".*\/other" is outside the sandbox of "s" \[sandbox\/read\]$/,
    );
    const r2 = await ask(c2, [req(7, "run", null), req(8, "net", "example.com:443")]);
    assert.deepEqual(r2.map((r) => [r.id, r.result]), [[7, "deny"], [8, "deny"]]);
    const garbled = await ask(c2, ['{"v":1,"id":9,"permission":"read","value":"/x"\n']);
    assert.deepEqual(
      [garbled[0]?.id, garbled[0]?.result],
      [9, "deny"],
      "a garbled request is denied, not left hanging",
    );
    // A repeated key (the second spelled with an escape) is not a request anyone can read reliably: deny.
    const twice = await ask(c2, [
      `{"v":1,"id":10,"permission":"read","value":"${dir}/other","v\\u0061lue":"${dir}/ok/a"}\n`,
    ]);
    assert.deepEqual([twice[0]?.id, twice[0]?.result], [10, "deny"]);
    assert.match(String(twice[0]?.reason), /malformed permission request/);
    assert.equal(checks.length, 5);
    assert.deepEqual(checks[1]?.decision.ruleIds, ["sandbox/read"]);
    c1.close();
    c2.close();
  } finally {
    await broker.close();
  }
  await assert.rejects(Deno.stat(socketPath), Deno.errors.NotFound, "close() removes the socket");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("startBroker() refuses a socket path too long for Unix sockets", async () => {
  const policy = compilePolicy({ version: 1, servers: { s: {} } }, { baseDir: "/", home: "/h" });
  await assert.rejects(
    startBroker({
      socketPath: `/tmp/${"x".repeat(120)}.sock`,
      policy,
      server: "s",
      home: "/h",
      cwd: "/",
      onCheck: () => {},
    }),
    /too long/,
  );
});
