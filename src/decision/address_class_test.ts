import assert from "node:assert/strict";
import { classifyAddress } from "./_address_class.ts";
import { decide } from "./decide.ts";
import { compilePolicy } from "../policy/mod.ts";
import { bareCall } from "../canonical/mod.ts";
import { PERMISSION_METHOD } from "./decide.ts";

Deno.test("classifyAddress() reads every form of metadata, loopback, private and link-local addresses", () => {
  const rows: Array<[string, string]> = [
    ["169.254.169.254", "metadata"],
    ["fd00:ec2::254", "metadata"],
    ["::ffff:169.254.169.254", "metadata"],
    ["::ffff:a9fe:a9fe", "metadata"],
    ["127.0.0.1", "loopback"],
    ["127.9.9.9", "loopback"],
    ["::1", "loopback"],
    ["::ffff:127.0.0.1", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "private"],
    ["fd12::1", "private"],
    ["169.254.1.1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["0.0.0.0", "unspecified"],
    ["::", "unspecified"],
    ["not-an-ip", "unspecified"],
    ["93.184.216.34", "public"],
    ["2606:2800:220:1::", "public"],
  ];
  for (const [ip, want] of rows) assert.equal(classifyAddress(ip), want, ip);
});

Deno.test("decide() judges the addresses a granted name resolves to", () => {
  const policy = compilePolicy({ version: 1, servers: { s: {} } }, { baseDir: "/", home: "/h" });
  const check = (host: string, grant: string, addresses: string[]) => {
    const call = {
      ...bareCall("s", PERMISSION_METHOD, "server"),
      permission: { kind: "net", value: `${host}:443` },
    };
    call.urls.push({ raw: `${host}:443`, scheme: "", host, port: "443", pointer: "/value", key: "value" });
    const perms = { read: [], write: [], net: [{ value: grant, ruleId: "g" }], env: [], run: [], sys: [] };
    return decide(policy, call, { permissions: perms, addresses });
  };
  assert.equal(check("api.example.com", "*.example.com", ["93.184.216.34"]).verdict, "allow");
  const meta = check("evil.example.com", "*.example.com", ["169.254.169.254"]);
  assert.deepEqual([meta.verdict, meta.ruleIds], ["deny", ["guard/metadata-host"]]);
  const rebind = check("evil.example.com", "*.example.com", ["93.184.216.34", "127.0.0.1"]);
  assert.deepEqual([rebind.verdict, rebind.ruleIds], ["deny", ["sandbox/net-private-address"]]);
  // A grant that names the host exactly may reach a private address (an internal service the user chose).
  assert.equal(check("db.internal", "db.internal", ["10.0.0.5"]).verdict, "allow");
  assert.equal(check("x.example.com", "*", ["10.0.0.5"]).verdict, "deny");
  assert.equal(check("x.example.com", "*", []).ruleIds[0], "sandbox/net-unresolved");
});

Deno.test("decide() applies denied_hosts to the addresses a name resolves to", () => {
  const policy = compilePolicy(
    { version: 1, servers: { s: { allowed_hosts: ["*"], denied_hosts: ["203.0.113.7", "127.0.0.1"] } } },
    { baseDir: "/", home: "/h" },
  );
  const call = {
    ...bareCall("s", PERMISSION_METHOD, "server"),
    permission: { kind: "net", value: "x.test:80" },
  };
  call.urls.push({
    raw: "x.test:80",
    scheme: "",
    host: "x.test",
    port: "80",
    pointer: "/value",
    key: "value",
  });
  const perms = { read: [], write: [], net: [{ value: "x.test", ruleId: "g" }], env: [], run: [], sys: [] };
  const d = decide(policy, call, { permissions: perms, addresses: ["203.0.113.7"] });
  assert.deepEqual([d.verdict, d.ruleIds], ["deny", ["servers.s.denied_hosts[0]"]]);
  assert.equal(decide(policy, call, { permissions: perms, addresses: ["198.51.100.1"] }).verdict, "allow");
});
