import assert from "node:assert/strict";
import { compilePolicy, parsePolicy } from "../policy/mod.ts";
import { deriveProfile, type SandboxProfile } from "./sandbox_profile.ts";

const HOME = "/home/u";
const policyOf = (yaml: string) =>
  compilePolicy(parsePolicy(yaml, { file: "p.yaml" }).policy, { baseDir: "/w", home: HOME });
const values = (p: SandboxProfile, k: "read" | "write" | "net" | "env" | "hide") => p[k].map((e) => e.value);

// One row per derivation rule: policy, mode, and what the profile must (and must not) hold.
const TABLE: Array<{
  name: string;
  yaml: string;
  mode?: "record" | "enforce";
  serverEnvValues?: Record<string, string>;
  read?: string[];
  write?: string[];
  net?: string[];
  env?: string[];
  hides?: string[];
  shows?: string[];
  note?: RegExp;
}> = [
  {
    name: "allowed_paths are read; write only with a write tool allowed",
    yaml: "version: 1\nservers:\n  s:\n    allowed_paths: [./src]\n    allowed_tools: [read_file]\n",
    read: ["/w/src"],
    write: [],
    net: [],
    note: /Nothing is writable/,
  },
  {
    name: "a write tool in allowed_tools makes the allowed paths writable",
    yaml:
      "version: 1\nservers:\n  s:\n    allowed_paths: [./src]\n    allowed_tools: [read_file, write_file]\n",
    read: ["/w/src"],
    write: ["/w/src"],
  },
  {
    name: "a glob grants its static folder",
    yaml: "version: 1\nservers:\n  s:\n    allowed_paths: ['./docs/**/*.md']\n    allowed_tools: [read]\n",
    read: ["/w/docs"],
    note: /is a glob: the sandbox grants its folder/,
  },
  {
    name: "deny wins: an allowed path inside a denied one is dropped by decide()",
    yaml:
      "version: 1\nservers:\n  s:\n    allowed_paths: [./src, ./src/secret]\n    denied_paths: [./src/secret]\n    allowed_tools: [read]\n",
    read: ["/w/src"],
    hides: ["/w/src/secret"],
    note: /Dropped read "\/w\/src\/secret"/,
  },
  {
    name: "no path rules: home and workspace readable, nothing writable, secrets hidden",
    yaml: "version: 1\nservers:\n  s:\n    allowed_tools: [read, write_file]\n",
    read: [HOME, "/w"],
    write: [],
    hides: [`${HOME}/.ssh`, `${HOME}/.aws`, `${HOME}/.claude.json`, `${HOME}/.local/state/agentperms`],
  },
  {
    name: "an explicit grant inside a secret place shows it; a grant of the home does not",
    yaml: "version: 1\nservers:\n  s:\n    allowed_paths: [~/.kube, '~']\n    allowed_tools: [read]\n",
    read: [`${HOME}/.kube`, HOME],
    shows: [`${HOME}/.kube`],
    hides: [`${HOME}/.ssh`],
    note: /Secret place "~\/\.kube" is visible/,
  },
  {
    name: "allowed_hosts and sandbox.net become egress grants; sandbox.env names pass",
    yaml:
      "version: 1\nservers:\n  s:\n    allowed_hosts: ['https://api.github.com', '*.example.com:443']\n    sandbox: { env: [GH_TOKEN] }\n",
    net: ["api.github.com", "*.example.com:443"],
    env: ["GH_TOKEN"],
  },
  {
    name: "sandbox.read and sandbox.write replace what is derived",
    yaml:
      "version: 1\nservers:\n  s:\n    allowed_paths: [./src]\n    sandbox: { read: [/data], write: [/data/out] }\n",
    read: ["/data"],
    write: ["/data/out"],
  },
  {
    name: "a path-like env value from the client config grants its folder",
    yaml: "version: 1\nservers:\n  s:\n    allowed_tools: [create_entities]\n",
    serverEnvValues: { MEMORY_FILE_PATH: "/m/memory.jsonl", GREETING: "/x/y" },
    write: ["/m"],
  },
  {
    name: "record mode observes: all readable, the workspace writable, any host, secrets still hidden",
    yaml: "version: 1\nservers:\n  s:\n    allowed_paths: [./src]\n",
    mode: "record",
    read: ["/w/src"],
    write: ["/w"],
    net: ["*"],
    hides: [`${HOME}/.ssh`],
  },
];

for (const row of TABLE) {
  Deno.test(`deriveProfile(): ${row.name}`, () => {
    const p = deriveProfile(policyOf(row.yaml), "s", {
      mode: row.mode ?? "enforce",
      home: HOME,
      cwd: "/w",
      serverEnv: Object.keys(row.serverEnvValues ?? {}),
      serverEnvValues: row.serverEnvValues,
    });
    if (row.read) {
      assert.deepEqual(
        values(p, "read").filter((v) => !row.serverEnvValues || row.read!.includes(v)),
        row.read,
      );
    }
    if (row.write) assert.deepEqual(values(p, "write"), row.write);
    if (row.net) assert.deepEqual(values(p, "net"), row.net);
    if (row.env) assert.deepEqual(values(p, "env"), row.env);
    for (const h of row.hides ?? []) assert.ok(values(p, "hide").includes(h), `${h} hidden`);
    for (const s of row.shows ?? []) assert.ok(!values(p, "hide").includes(s), `${s} not hidden`);
    if (row.note) assert.ok(p.notes.some((n) => row.note!.test(n)), p.notes.join("\n"));
  });
}

Deno.test("deriveProfile(): record mode reads everything but enforce with no rules never reads /", () => {
  const policy = policyOf("version: 1\nservers:\n  s:\n    allowed_tools: [read]\n");
  const rec = deriveProfile(policy, "s", { mode: "record", home: HOME, cwd: "/w" });
  assert.deepEqual(values(rec, "read"), ["/"]);
  const enf = deriveProfile(policy, "other", { mode: "enforce", home: "/", cwd: "/" });
  assert.deepEqual(values(enf, "read"), []);
  assert.deepEqual(values(enf, "net"), []);
});
