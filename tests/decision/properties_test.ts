/** Properties of canonicalize + decide, checked with fast-check over generated paths, tools and policies. */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  canonicalizeCall,
  compilePolicy,
  decide,
  normalizeAbsolute,
  normalizeLiteral,
  parsePolicy,
  resolvePath,
} from "../../mod.ts";

const O = { cwd: "/proj", home: "/home/u" };
const RUNS = { numRuns: 1500, seed: 42 };

const segment = fc.constantFrom(
  "src",
  "work",
  ".ssh",
  "a",
  "b.txt",
  "id_rsa",
  "..",
  ".",
  "",
  "%2e%2e",
  "．．",
  "SRC",
  ".SSH",
  "src-private",
  "x. ",
  "k.pem",
  "~",
  "$HOME",
  "%7E",
  "::$DATA",
  "docs",
);
const pathString = fc.tuple(
  fc.constantFrom("", "/", "./", "~/", "$HOME/", "file:///", "/proj/", "/home/u/", "\\", "C:\\"),
  fc.array(segment, { maxLength: 6 }),
  fc.constantFrom("/", "\\", "／"),
).map(([prefix, segs, sep]) => prefix + segs.join(sep));

const POLICY = compilePolicy(
  parsePolicy(
    "version: 1\nservers:\n  fs:\n    allowed_paths: [./src, ~/work]\n    denied_paths: [~/.ssh]\n    denied_patterns: ['*.pem']\n",
    { file: "p.yaml" },
  ).policy,
  { baseDir: "/proj", home: "/home/u" },
);

Deno.test("property: an allowed call's every resolved path lies inside an allowed path and outside every deny", () => {
  fc.assert(
    fc.property(fc.array(pathString, { minLength: 1, maxLength: 3 }), (paths) => {
      const call = canonicalizeCall({ server: "fs", tool: "read", arguments: { paths } }, O);
      const d = decide(POLICY, call);
      if (d.verdict !== "allow") return;
      for (const p of call.paths) {
        for (const f of p.forms) {
          // An oracle independent of isWithin(): containment on a separator boundary.
          const under = (x: string, root: string) => x === root || x.startsWith(root + "/");
          assert.ok(under(f, "/proj/src") || under(f, "/home/u/work"), `${p.raw} -> ${f} allowed`);
          assert.ok(!under(f.toLowerCase(), "/home/u/.ssh"), `${p.raw} -> ${f} under ~/.ssh allowed`);
          assert.ok(!f.toLowerCase().endsWith(".pem"), `${p.raw} -> ${f} .pem allowed`);
        }
      }
    }),
    RUNS,
  );
});

Deno.test("property: every form is a normalized path and re-resolves to itself", () => {
  fc.assert(
    fc.property(pathString, (s) => {
      for (const f of resolvePath(s, O).forms) {
        // A form is the Windows reading (trailing dots and streams dropped) or the literal POSIX name.
        assert.ok(normalizeAbsolute(f) === f || normalizeLiteral(f) === f, `${s} -> ${f}`);
        // A form ending in a space (a literal POSIX name) loses it when given again: values are trimmed.
        assert.ok(resolvePath(f, O).forms.includes(f.trimEnd()), `${s} -> ${f}`);
      }
    }),
    RUNS,
  );
});

const toolName = fc.constantFrom(
  "read",
  "write",
  "delete_repo",
  "Delete_Repo",
  "exec",
  "send_email",
  "mcp__fs__exec",
  "list",
);
const ruleList = (items: fc.Arbitrary<string>) =>
  fc.option(fc.uniqueArray(items, { maxLength: 3 }), { nil: undefined });
const serverRules = fc.record({
  allowed_tools: ruleList(toolName),
  denied_tools: ruleList(toolName),
  allowed_paths: ruleList(fc.constantFrom("./src", "~/work", "/tmp", "./docs")),
  denied_paths: ruleList(fc.constantFrom("~/.ssh", "/etc", "./src/secret")),
  denied_patterns: ruleList(fc.constantFrom("*.pem", ".env", "id_rsa*")),
}, { requiredKeys: [] });
const approvals = fc.uniqueArray(fc.constantFrom("fs.exec", "send_email", "fs.write", "other.read"), {
  maxLength: 2,
});
const extraDeny = fc.oneof(
  toolName.map((t) => ({ denied_tools: [t] })),
  fc.constantFrom("~/.ssh", "/proj/src", "/", "./docs").map((p) => ({ denied_paths: [p] })),
  fc.constantFrom("*.txt", "*").map((p) => ({ denied_patterns: [p] })),
);

function build(rules: Record<string, unknown>, appr: string[]) {
  const clean = Object.fromEntries(Object.entries(rules).filter(([, v]) => v !== undefined));
  const policy = { version: 1 as const, servers: { fs: clean }, approvals: { require_human_approval: appr } };
  return compilePolicy(policy, { baseDir: "/proj", home: "/home/u" });
}

Deno.test("property: adding a deny rule never turns a deny or an approval into an allow", () => {
  fc.assert(
    fc.property(
      serverRules,
      approvals,
      extraDeny,
      toolName,
      fc.array(pathString, { maxLength: 2 }),
      (rules, appr, extra, tool, paths) => {
        const call = canonicalizeCall({ server: "fs", tool, arguments: { paths } }, O);
        const before = decide(build(rules, appr), call);
        const merged: Record<string, string[] | undefined> = { ...rules };
        for (const [k, v] of Object.entries(extra)) merged[k] = [...(merged[k] ?? []), ...v];
        const after = decide(build(merged, appr), call);
        if (before.verdict !== "allow") {
          assert.notEqual(
            after.verdict,
            "allow",
            `${before.reason} -> ${after.reason}`,
          );
        }
        if (before.verdict === "deny") assert.equal(after.verdict, "deny");
      },
    ),
    RUNS,
  );
});

Deno.test("property: decide() never throws and always explains itself", () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.string(), (args, tool) => {
      const call = canonicalizeCall({
        server: "fs",
        method: "tools/call",
        params: { name: tool, arguments: args },
      }, O);
      const d = decide(POLICY, call);
      assert.ok(["allow", "deny", "approve"].includes(d.verdict));
      assert.ok(d.reason.length > 0 && d.ruleIds.length > 0);
      // decide() turns a rule that throws into a deny: that deny is a bug here, not a verdict.
      assert.deepEqual(d.errors, [], d.reason);
      assert.ok(!d.ruleIds.includes("internal/error"), d.reason);
    }),
    { numRuns: 1000, seed: 7 },
  );
});
