import assert from "node:assert/strict";
import { bareCall } from "../canonical/mod.ts";
import { compilePolicy, parsePolicy } from "../policy/mod.ts";
import { permissionCall } from "../sandbox/mod.ts";
import { decide, PERMISSION_METHOD, type PermissionGrants } from "./mod.ts";

const policy = compilePolicy(
  parsePolicy(
    `version: 1
servers:
  fs:
    allowed_paths: [/w]
    denied_paths: [/w/secret]
    denied_patterns: ["*.pem"]
    denied_hosts: [evil.example]
`,
    { file: "p" },
  ).policy,
  { baseDir: "/w", home: "/home/u" },
);
const grants: PermissionGrants = {
  read: [{ value: "/w", ruleId: "servers.fs.allowed_paths[0]" }],
  write: [{ value: "/w/out", ruleId: "servers.fs.sandbox.write[0]" }],
  net: [{ value: "api.example.com:443", ruleId: "n0" }, { value: "*.cdn.example", ruleId: "n1" }],
  env: [{ value: "FOO", ruleId: "e0" }, { value: "GZIP_*", ruleId: "e1" }],
  run: [],
  sys: [],
};
// Symlinks for the pure tests: /w/link -> /etc/passwd, /w/ok -> /w/a.txt.
const LINKS: Record<string, string> = { "/w/link": "/etc/passwd", "/w/ok": "/w/a.txt" };
const realpath = (p: string) =>
  LINKS[p] ?? (p.startsWith("/w") || p === "/" || p.startsWith("/etc") ? p : undefined);
const check = (permission: string, value: string | null, g: PermissionGrants | undefined = grants) =>
  decide(policy, permissionCall("fs", { permission, value }, { cwd: "/w", home: "/home/u", realpath }), {
    permissions: g,
  });

Deno.test("decide() allows a deno/permission read inside the sandbox grants", () => {
  const d = check("read", "/w/a.txt");
  assert.equal(d.verdict, "allow");
  assert.deepEqual(d.ruleIds, ["servers.fs.allowed_paths[0]"]);
});

Deno.test("decide() denies a deno/permission read through a symlink whose target is outside", () => {
  const d = check("read", "/w/link");
  assert.equal(d.verdict, "deny");
  assert.deepEqual(d.ruleIds, ["sandbox/read"]);
  assert.match(d.reason, /"\/etc\/passwd" \(resolved from "\/w\/link"\) is outside the sandbox/);
  assert.equal(check("read", "/w/ok").verdict, "allow");
});

Deno.test("decide() denies deno/permission checks on denied paths, patterns and hosts first", () => {
  assert.deepEqual(check("read", "/w/secret/k").ruleIds, ["servers.fs.denied_paths[0]"]);
  assert.deepEqual(check("read", "/w/SECRET/k").ruleIds, ["servers.fs.denied_paths[0]"]);
  assert.deepEqual(check("read", "/w/id.pem").ruleIds, ["servers.fs.denied_patterns[0]"]);
  assert.deepEqual(check("net", "evil.example:443").ruleIds, ["servers.fs.denied_hosts[0]"]);
  assert.deepEqual(check("read", "/w/../etc/x").ruleIds, ["sandbox/read"]);
  assert.equal(check("read", "/w_evil/x").verdict, "deny");
});

Deno.test("decide() judges deno/permission write, net, env, run, sys and ffi by their grants", () => {
  assert.equal(check("write", "/w/out/f").verdict, "allow");
  assert.equal(check("write", "/w/a.txt").verdict, "deny");
  assert.equal(check("net", "api.example.com:443").verdict, "allow");
  assert.equal(check("net", "api.example.com:80").verdict, "deny");
  assert.equal(check("net", "https://api.example.com/x").verdict, "allow");
  assert.equal(check("net", "a.cdn.example:443").verdict, "allow");
  assert.equal(check("net", "cdn.example:443").verdict, "deny");
  assert.equal(check("net", "169.254.169.254:80").ruleIds[0], "guard/metadata-host");
  assert.equal(check("env", "FOO").verdict, "allow");
  assert.equal(check("env", "GZIP_MAX_FETCH_SIZE").verdict, "allow");
  assert.equal(check("env", "AWS_SECRET_ACCESS_KEY").verdict, "deny");
  assert.equal(check("env", null).verdict, "deny");
  assert.equal(check("run", null).verdict, "deny");
  assert.equal(check("sys", "hostname").verdict, "deny");
  assert.equal(check("ffi", "/w/lib.so").verdict, "deny");
  assert.equal(check("read", null).verdict, "deny");
  const anyRun = { ...grants, run: [{ value: "*", ruleId: "servers.fs.sandbox.run" }] };
  assert.equal(check("run", null, anyRun).verdict, "allow");
});

Deno.test("decide() denies a deno/permission check when no grants are given or the call is malformed", () => {
  const noGrants = decide(
    policy,
    permissionCall("fs", { permission: "read", value: "/w/a.txt" }, { cwd: "/w", home: "/h" }),
  );
  assert.deepEqual(noGrants.ruleIds, ["sandbox/no-grants"]);
  const bare = bareCall("fs", PERMISSION_METHOD, "server");
  assert.deepEqual(decide(policy, bare, { permissions: grants }).ruleIds, ["call/malformed"]);
  assert.equal(check("read", "/w/a\0.txt").ruleIds[0], "guard/nul-byte");
});

Deno.test("decide() keeps judging server-sent requests as before next to deno/permission", () => {
  const call = bareCall("fs", "sampling/createMessage", "server");
  assert.equal(decide(policy, call).verdict, "allow");
});
