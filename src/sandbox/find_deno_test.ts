import assert from "node:assert/strict";
import { AgentPermsError } from "../errors.ts";
import { findDeno, type FindDenoHost } from "./mod.ts";

const host = (exec: string, files: string[]): FindDenoHost => ({
  execPath: () => exec,
  isExecutable: (p) => files.includes(p),
  os: "linux",
});
const io = (env: Record<string, string>) => ({ env: (n: string) => env[n] });

Deno.test("findDeno() prefers AGENTPERMS_DENO, then the running deno, then PATH", () => {
  assert.equal(findDeno(io({ AGENTPERMS_DENO: "/opt/d" }), host("/usr/bin/deno", ["/opt/d"])), "/opt/d");
  assert.equal(findDeno(io({ PATH: "/bin" }), host("/usr/bin/deno", [])), "/usr/bin/deno");
  assert.equal(
    findDeno(io({ PATH: "/nope:/usr/local/bin/" }), host("/x/agentperms", ["/usr/local/bin/deno"])),
    "/usr/local/bin/deno",
  );
});

Deno.test("findDeno() fails with a hint when a compiled agentperms finds no deno", () => {
  assert.throws(() => findDeno(io({ PATH: "/bin" }), host("/x/agentperms", [])), (e) => {
    assert.ok(e instanceof AgentPermsError);
    assert.equal(e.code, "upstream_failed");
    assert.match(e.hint ?? "", /AGENTPERMS_DENO/);
    return true;
  });
  assert.throws(
    () => findDeno(io({ AGENTPERMS_DENO: "/missing" }), host("/usr/bin/deno", [])),
    /not an executable/,
  );
});
