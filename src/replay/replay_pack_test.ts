import assert from "node:assert/strict";
import fc from "fast-check";
import { AgentPermsError } from "../errors.ts";
import { compilePolicy, parsePolicy } from "../policy/mod.ts";
import { BUILTIN_PACKS, expandPack, fillPlaceholders, replayPack, summarizeReplay } from "./mod.ts";

const HOME = "/home/me";
const CWD = "/proj";
const EXAMPLE = new URL("../../examples/policies/example.mcp.policy.yaml", import.meta.url);

function compile(yaml: string) {
  return compilePolicy(parsePolicy(yaml, { file: "p.yaml" }).policy, { baseDir: CWD, home: HOME });
}
const example = compile(Deno.readTextFileSync(EXAMPLE));
const pack = (id: string) => BUILTIN_PACKS.find((p) => p.id === id)!;
const opts = { cwd: CWD, home: HOME };

Deno.test("replayPack() blocks 8/8 of the original pack on the example policy, same ids", () => {
  const results = replayPack(example, pack("original"), opts);
  assert.deepEqual(results.map((r) => r.attack), [
    "ssh-key-exfil",
    "env-secret-read",
    "pem-read",
    "shell-exec",
    "gmail-send",
    "force-push",
    "delete-repo",
    "db-write",
  ]);
  const s = summarizeReplay(results);
  assert.deepEqual(s.attacks, { total: 8, blocked: 8 });
  assert.equal(s.ok, true);
  // The original's shell/gmail/postgres blocks come only from the unknown-server default-deny.
  assert.deepEqual(s.unknownServers, { shell: 1, gmail: 1, postgres: 1 });
});

Deno.test("replayPack() blocks 0/8 of the original pack on a servers: {} policy", () => {
  const s = summarizeReplay(replayPack(compile("version: 1\nservers: {}\n"), pack("original"), opts));
  assert.deepEqual(s.attacks, { total: 8, blocked: 0 });
  assert.equal(s.ok, false);
  assert.equal(s.holes.length, 8);
});

Deno.test("replayPack() blocks every evasion attack and allows every control on the example policy", () => {
  const results = replayPack(example, pack("evasion"), opts);
  const s = summarizeReplay(results);
  assert.deepEqual(s.holes, []);
  assert.deepEqual(s.overBlocked, []);
  assert.ok(s.attacks.total > 100, `evasion pack has ${s.attacks.total} attacks`);
  assert.ok(s.controls.total >= 10);
  // Every block is earned by a rule about the real server, not by the unknown-server default-deny.
  assert.deepEqual(s.unknownServers, {});
  for (
    const cls of [
      "traversal",
      "prefix-sibling",
      "home-expansion",
      "file-uri",
      "percent-encoding",
      "case",
      "unicode",
      "trailing",
      "array",
      "nested",
      "second-arg",
      "tool-name",
      "metadata-ip",
      "metadata-host",
      "file-url",
      "nul-byte",
      "option-injection",
    ]
  ) {
    assert.ok((s.byEvasion[cls]?.attacks ?? 0) > 0, `evasion class ${cls} is covered`);
  }
});

Deno.test("replayPack() finds the holes of a deny-only policy that misses evasions it does not name", () => {
  // No allowed_paths: only denied_paths stand between the pack and the files. /etc is not denied here.
  const weak = compile("version: 1\nservers:\n  filesystem:\n    denied_paths: [~/.ssh]\n  github: {}\n");
  const s = summarizeReplay(replayPack(weak, pack("evasion"), opts));
  assert.ok(s.holes.includes("evasion/etc-passwd"));
  assert.ok(s.holes.includes("evasion/src-sibling.dash-suffix"));
  assert.deepEqual(
    s.holes.filter((h) => h.startsWith("evasion/ssh-key")),
    [],
    "every ssh-key variant is still denied, ~user included",
  );
});

Deno.test("replayPack() shows deny rules alone catch every path evasion of the files they name", () => {
  // Without allowed_paths nothing else can block these, so each variant tests the canonicalizer + deny rules.
  const denyOnly = compile(
    "version: 1\nservers:\n  filesystem:\n    denied_paths: [~/.ssh, /etc]\n    denied_patterns: ['*.pem']\n",
  );
  const results = replayPack(denyOnly, pack("evasion"), opts).filter((r) =>
    /^(ssh-key|etc-passwd|pem-key)/.test(r.attack)
  );
  assert.ok(results.length > 80);
  assert.deepEqual(results.filter((r) => !r.blocked).map((r) => `evasion/${r.attack}`), []);
});

Deno.test("replayPack() applies serverMap before judging and reports both names", () => {
  const p = compile("version: 1\nservers:\n  fs:\n    denied_paths: [~/.ssh]\n");
  const [r] = replayPack(p, pack("original"), { ...opts, serverMap: { filesystem: "fs" } });
  assert.equal(r?.server, "fs");
  assert.equal(r?.packServer, "filesystem");
  assert.deepEqual(r?.ruleIds, ["servers.fs.denied_paths[0]"]);
  assert.equal(r?.unknownServer, false);
});

Deno.test("replayPack() counts an approval as blocked and marks verdicts that met the expectation", () => {
  const p = compile(
    "version: 1\nservers:\n  shell: {}\napprovals:\n  require_human_approval: [shell.exec]\n",
  );
  const r = replayPack(p, pack("original"), opts).find((x) => x.attack === "shell-exec")!;
  assert.equal(r.verdict, "approve");
  assert.equal(r.blocked, true);
  assert.equal(r.passed, true);
});

Deno.test("expandPack() expands data-pack mutators and rejects ids that collide after expansion", () => {
  const base = {
    id: "k",
    title: "K",
    severity: "high" as const,
    references: [],
    call: { server: "filesystem", tool: "read_file", arguments: { path: "~/.kube/config" } },
    expect: "block" as const,
  };
  const d = { apiVersion: 1 as const, id: "d", version: "1", description: "d" };
  assert.deepEqual(
    expandPack({ ...d, attacks: [{ ...base, mutators: ["case"] }] }).map((a) => a.id),
    ["k", "k.upper", "k.mixed"],
  );
  assert.throws(
    () => expandPack({ ...d, attacks: [{ ...base, mutators: ["case"] }, { ...base, id: "k.upper" }] }),
    (e: unknown) => e instanceof AgentPermsError && e.code === "plugin_invalid" && /k\.upper/.test(e.message),
  );
});

Deno.test("fillPlaceholders() fills {{home}} and {{cwd}} in nested strings and object keys", () => {
  const call = fillPlaceholders(
    {
      server: "s",
      tool: "t",
      arguments: { a: ["{{home}}/x", { b: "{{cwd}}/y" }], n: 3, files: { "{{home}}/.bashrc": "x" } },
    },
    { home: "/home/me/", cwd: "/proj" },
  );
  assert.deepEqual(call.arguments, {
    a: ["/home/me/x", { b: "/proj/y" }],
    n: 3,
    files: { "/home/me/.bashrc": "x" },
  });
});

Deno.test("replayPack() judges a symlink by its target when given a realpath", () => {
  const p = compile(
    "version: 1\nservers:\n  filesystem:\n    allowed_paths: [./src]\n    denied_paths: [/etc]\n",
  );
  // A fake filesystem: /proj/src/link -> /etc, /etc/passwd exists, the rest of /proj is real.
  const realpath = (abs: string): string | undefined => {
    if (abs === "/proj/src/link" || abs.startsWith("/proj/src/link/")) return "/etc" + abs.slice(14);
    return abs.startsWith("/proj") || abs.startsWith("/etc") ? abs : undefined;
  };
  const d = {
    apiVersion: 1 as const,
    id: "link",
    version: "1",
    description: "symlink escape (CVE-2025-53109)",
    attacks: [{
      id: "symlink-escape",
      title: "Symlink out of ./src",
      severity: "critical" as const,
      references: ["CVE-2025-53109"],
      call: { server: "filesystem", tool: "read_file", arguments: { path: "./src/link/passwd" } },
      expect: "block" as const,
    }],
  };
  assert.equal(replayPack(p, d, opts)[0]?.blocked, false, "without realpath the link looks inside ./src");
  const [r] = replayPack(p, d, { ...opts, realpath });
  assert.equal(r?.blocked, true);
  assert.deepEqual(r?.ruleIds, ["servers.filesystem.denied_paths[0]"]);
});

Deno.test("summarizeReplay() counts attacks per severity and per evasion class", () => {
  const s = summarizeReplay(replayPack(example, pack("evasion"), opts));
  assert.equal(
    Object.values(s.bySeverity).reduce((n, x) => n + x.attacks, 0),
    s.attacks.total,
  );
  assert.equal(s.byEvasion.control?.controls, s.controls.total);
  assert.ok((s.byEvasion.method?.attacks ?? 0) >= 3, "non-tools/call methods are covered");
});

Deno.test("replayPack() keeps the example policy's evasion verdicts for any home and working directory", () => {
  // The pack's {{home}}/{{cwd}} placeholders and climbs must work wherever the project and home live.
  const seg = fc.stringMatching(/^[a-z][a-z0-9_-]{0,11}$/);
  fc.assert(
    fc.property(seg, fc.array(seg, { minLength: 1, maxLength: 4 }), fc.boolean(), (user, dirs, underHome) => {
      const home = `/home/${user}`;
      const cwd = underHome ? `${home}/${dirs.join("/")}` : `/${dirs.join("/")}`;
      // Inside a denied directory the controls are rightly blocked.
      fc.pre(!/\/\.ssh(\/|$)/.test(cwd) && !/^\/etc(\/|$)/.test(cwd));
      const compiled = compilePolicy(parsePolicy(Deno.readTextFileSync(EXAMPLE), { file: "p.yaml" }).policy, {
        baseDir: cwd,
        home,
      });
      const s = summarizeReplay(replayPack(compiled, pack("evasion"), { cwd, home }));
      assert.deepEqual([s.holes, s.overBlocked], [[], []], `home ${home}, cwd ${cwd}`);
    }),
    { numRuns: 40 },
  );
});
