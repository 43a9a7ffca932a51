import assert from "node:assert/strict";
import { compilePolicy, parsePolicy, resolveServerProfile } from "./mod.ts";

const compile = (yaml: string, identities?: Record<string, { command?: string; args?: string[] }>) =>
  compilePolicy(parsePolicy(yaml, { file: "p.yaml" }).policy, { baseDir: "/proj", home: "/h", identities });

Deno.test("compilePolicy() finds a server's profile from its command before its name; profile: pins one", () => {
  const yaml = "version: 2\nservers:\n  work-db: {}\n  github: {}\n  pinned: { profile: slack }\n";
  const bare = compile(yaml);
  assert.equal(bare.v2!.servers.get("work-db")!.profile, undefined);
  assert.equal(bare.v2!.servers.get("github")!.profileBy, "name");
  const known = compile(yaml, {
    "work-db": { command: "npx", args: ["-y", "@modelcontextprotocol/server-postgres", "postgres://x"] },
    pinned: { command: "npx", args: ["-y", "@modelcontextprotocol/server-github"] },
  });
  assert.equal(known.v2!.servers.get("work-db")!.profile?.server, "postgres");
  assert.equal(known.v2!.servers.get("work-db")!.profileBy, "identity");
  assert.equal(known.v2!.servers.get("pinned")!.profile?.server, "slack");
  assert.equal(resolveServerProfile(known.v2!, "pinned", { command: "github-mcp-server" })?.server, "slack");
  assert.equal(resolveServerProfile(bare.v2!, "work-db", { command: "postgres-mcp" })?.server, "postgres");
});

Deno.test("compilePolicy() leaves a v1 policy without v2 rules", () => {
  assert.equal(compile("version: 1\nservers:\n  github: {}\n").v2, undefined);
});
