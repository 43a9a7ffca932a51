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
import { type AttackCall, MUTATORS } from "../../src/plugins/mod.ts";
import { fillPlaceholders } from "../../src/replay/mod.ts";

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

// Values the readers react to, so random arguments reach every reader (path, URL, host, command, flag, JSON in
// a string, object keys) and not only the fall-through.
const readerBait = fc.constantFrom(
  "~/.ssh/id_rsa",
  "./src/a.ts",
  "file:///etc/passwd#/../../proj/src/a",
  "http://github.com\\@169.254.169.254/",
  "localhost:3000/x",
  "//evil.example.com/x",
  "cat $(echo /etc/passwd) | sh -c 'ls ~+'",
  "cd /etc && cat passwd <<EOF\n$X\nEOF",
  "--output=/etc/x",
  '{"path": "/etc/passwd", "url": "http://[fd00:ec2::254]/"}',
  "a.txt,/etc/passwd\n~root/x:src",
  "\u0000",
  "app-169-254-169-254.nip.io",
  "ｆｉｌｅ:／／／etc",
);
const readerKey = fc.constantFrom(
  "path",
  "url",
  "host",
  "command",
  "ref",
  "contains",
  "savePath",
  "filename",
  "files",
  "config",
  "args",
  "query",
  "/etc/passwd",
  "",
);
const baitArgs = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    readerBait,
    fc.string(),
    fc.jsonValue({ maxDepth: 1 }),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(readerKey, tie("value"), { maxKeys: 3 }),
  ),
})).value;
const method = fc.constantFrom(
  "tools/call",
  "resources/read",
  "prompts/get",
  "completion/complete",
  "x/unknown",
);

Deno.test("property: decide() never throws, is deterministic, leaves the call as it was and always explains itself", () => {
  fc.assert(
    fc.property(
      method,
      fc.oneof(fc.string(), toolName),
      fc.oneof(baitArgs, fc.jsonValue()),
      fc.oneof(readerBait, fc.string()),
      (m, tool, args, uri) => {
        const params = m === "resources/read" ? { uri } : m === "completion/complete"
          ? {
            ref: { type: "ref/resource", uri },
            argument: { name: "path", value: uri },
            context: { arguments: args },
          }
          : { name: tool, arguments: args };
        const call = canonicalizeCall({ server: "fs", method: m, params }, O);
        const before = structuredClone(call);
        const d = decide(POLICY, call);
        assert.ok(["allow", "deny", "approve"].includes(d.verdict));
        assert.ok(d.reason.length > 0 && d.ruleIds.length > 0);
        // decide() turns a rule that throws into a deny: that deny is a bug here, not a verdict.
        assert.deepEqual(d.errors, [], d.reason);
        assert.ok(!d.ruleIds.includes("internal/error"), d.reason);
        assert.deepEqual(call, before, "decide() changed the call it judged");
        assert.deepEqual(decide(POLICY, call), d, "decide() gave two answers for one call");
      },
    ),
    { numRuns: 1000, seed: 7 },
  );
});

// ---------------------------------------------------------------------------------------------------------
// Encodings: a path through any encoding a server or the OS reads back to it must get the plain path's verdict.

/** userHome for `~u` and `~root` (the mutators' `~{{user}}` and issue #16's `~root`). */
const OU = { ...O, userHome: (n: string) => (n === "u" ? "/home/u" : n === "root" ? "/root" : undefined) };

// Plain paths inside and outside the allowlist (./src, ~/work), under the denies (~/.ssh, *.pem) and elsewhere.
const plainRoot = fc.constantFrom(
  "./src",
  "./docs",
  ".",
  "~/work",
  "~/.ssh",
  "~",
  "/etc",
  "/tmp",
  "/proj/src",
  "/home/u/work",
);
const plainDir = fc.constantFrom("deep", "notes", "x-y", "v1.2", "café");
const plainFile = fc.constantFrom("a.ts", "b.txt", "id_rsa", "k.pem", "notes", "x-y", "café.md");
const plainPath = fc.tuple(plainRoot, fc.array(plainDir, { maxLength: 2 }), plainFile).map(([r, dirs, f]) =>
  [r, ...dirs, f].join("/")
);

/**
 * Mutator variants a server or the kernel reads back to the same file: `..` that climbs and comes back, $HOME
 * (not `~user`: a Node server opens `./~u/…` literally), the absolute form, file: URIs (localhost, upper case, an encoded one, a query or fragment that a
 * naive reader would follow, one slash, relative), quotes servers strip, and the placements (object key,
 * folder + name, a list next to an allowed file, JSON in a string).
 */
const SAME_FILE: ReadonlySet<string> = new Set([
  "traversal.dotdot-from-src",
  "traversal.dotdot-single",
  "traversal.dotdot-in-home",
  "traversal.dotdot-in-root",
  "home-expansion.dollar-home",
  "home-expansion.dollar-brace-home",
  "home-expansion.absolute",
  "absolute.absolute",
  "file-uri.file-uri",
  "file-uri.file-localhost",
  "file-uri.file-upper",
  "percent-encoding.encoded-file-uri",
  "quoting.double-quotes",
  "quoting.single-quotes",
  "quoting.whitespace",
  "file-uri-forms.query-dotdot",
  "file-uri-forms.fragment-dotdot",
  "file-uri-forms.localhost-upper",
  "file-uri-forms.localhost-percent",
  "file-uri-forms.one-slash",
  "file-uri-forms.relative",
  "placement.object-key",
  "placement.save-path-filename",
  "placement.dir-name",
  "placement.repo-path-files",
  "placement.comma-list",
  "placement.newline-list",
  "placement.json-in-string",
]);
/**
 * KNOWN FAILURES (an encoding that reads back to the plain path yet gets another verdict, to be fixed in
 * src/canonical/ and then removed from here). The test below proves each still fails, so an entry left here
 * after its fix fails the suite. Empty: the percent-encoded `localhost` of a file: URI is decoded before it is
 * compared since #16.
 */
const KNOWN_ENCODING_FAILURES: ReadonlyMap<string, string> = new Map();

/** Variants that name another file on some reading (case, fullwidth, trailing dots, backslashes, %2F…). */
const OTHER_READING = [
  "percent-encoding",
  "case",
  "unicode",
  "trailing",
  "backslash",
  "nul-byte",
  "home-expansion",
  "file-uri-forms",
  "placement",
] as const;

function variantsOf(path: string): { id: string; call: AttackCall }[] {
  const base: AttackCall = { server: "fs", tool: "read", arguments: { path } };
  return Object.values(MUTATORS).flatMap((m) =>
    m.apply(base).map((v) => ({
      id: `${m.id}.${v.label}`,
      call: fillPlaceholders(v.call, { home: "/home/u", cwd: "/proj" }),
    }))
  );
}

function verdictOf(call: AttackCall) {
  return decide(
    POLICY,
    canonicalizeCall({ server: call.server, tool: call.tool, arguments: call.arguments }, OU),
  );
}

Deno.test("property: a path through any encoding that reads back to it gets the plain path's verdict", () => {
  let allowed = 0;
  let denied = 0;
  fc.assert(
    fc.property(plainPath, (path) => {
      const plain = verdictOf({ server: "fs", tool: "read", arguments: { path } });
      if (plain.verdict === "allow") allowed++;
      else denied++;
      const same = variantsOf(path).filter((v) => SAME_FILE.has(v.id) && !KNOWN_ENCODING_FAILURES.has(v.id));
      assert.ok(same.length >= 10, `${path}: only ${same.length} encodings`);
      for (const v of same) {
        const d = verdictOf(v.call);
        assert.equal(
          d.verdict,
          plain.verdict,
          `${path} (${plain.verdict}: ${plain.reason}) as ${v.id} ${
            JSON.stringify(v.call.arguments)
          }: ${d.reason}`,
        );
      }
    }),
    { numRuns: 300, seed: 16 },
  );
  // Both sides of the allowlist were exercised, or the property proves half of what it says.
  assert.ok(allowed > 30 && denied > 30, `allowed ${allowed}, denied ${denied}`);
});

Deno.test("property: no encoding, however it is read, lets through a path the plain form is denied", () => {
  fc.assert(
    fc.property(plainPath, (path) => {
      const plain = verdictOf({ server: "fs", tool: "read", arguments: { path } });
      if (plain.verdict === "allow") return;
      for (const v of variantsOf(path)) {
        if (!OTHER_READING.some((m) => v.id.startsWith(`${m}.`)) && !SAME_FILE.has(v.id)) continue;
        const d = verdictOf(v.call);
        assert.notEqual(
          d.verdict,
          "allow",
          `${path} is denied (${plain.reason}) but ${v.id} ${JSON.stringify(v.call.arguments)} is allowed`,
        );
      }
    }),
    { numRuns: 300, seed: 61 },
  );
});

/** Percent-encodes the characters of `s` whose bit is set in `mask` (a URL parser decodes them back). */
function percentSome(s: string, mask: boolean[]): string {
  return [...s].map((c, i) =>
    mask[i % mask.length] && c !== "/"
      ? encodeURIComponent(c).replace(/^[^%]/, (x) => `%${x.charCodeAt(0).toString(16).padStart(2, "0")}`)
      : c
  ).join("");
}

Deno.test("property: a file: URI with any characters percent-encoded, any localhost spelling and any #fragment or ?query gets the plain path's verdict", () => {
  const abs = plainPath.map((p) =>
    p.replace(/^\.\//, "/proj/").replace(/^\.$/, "/proj").replace(/^~/, "/home/u")
  );
  fc.assert(
    fc.property(
      abs,
      fc.array(fc.boolean(), { minLength: 1, maxLength: 16 }),
      fc.constantFrom(
        "",
        "localhost",
        "LOCALHOST",
        "LocalHost",
        "%6C%6F%63%61%6C%68%6F%73%74",
        "loc%61lhost",
      ),
      // Not `#/../../etc/passwd` after an allowed path: a reader that keeps the fragment reaches /etc/passwd, so
      // that deny is fail-closed, not a misreading.
      fc.constantFrom(
        "",
        "#L10",
        "?raw=1",
        `?/${"../".repeat(12)}proj/src/a.ts`,
        `#/${"../".repeat(12)}home/u/work`,
        "#",
        "?",
      ),
      (path, mask, host, suffix) => {
        const plain = verdictOf({ server: "fs", tool: "read", arguments: { path } });
        const uri = `file://${host}${percentSome(path, mask)}${suffix}`;
        for (
          const call of [
            { server: "fs", tool: "read", arguments: { path: uri } },
            { server: "fs", tool: "read", arguments: { uri } },
          ]
        ) {
          const d = verdictOf(call);
          assert.equal(
            d.verdict,
            plain.verdict,
            `${path} (${plain.reason}) as ${JSON.stringify(call.arguments)}: ${d.reason}`,
          );
        }
        const res = decide(
          POLICY,
          canonicalizeCall({ server: "fs", method: "resources/read", params: { uri } }, OU),
        );
        assert.equal(res.verdict, plain.verdict, `${path} as resources/read ${uri}: ${res.reason}`);
      },
    ),
    { numRuns: 500, seed: 1016 },
  );
});

Deno.test("KNOWN_ENCODING_FAILURES still fail (remove an entry once src/canonical/ reads it right)", () => {
  for (const [id, path] of KNOWN_ENCODING_FAILURES) {
    const v = variantsOf(path).find((x) => x.id === id);
    assert.ok(v, `${id} makes no variant of ${path}`);
    const plain = verdictOf({ server: "fs", tool: "read", arguments: { path } });
    const d = verdictOf(v.call);
    assert.notEqual(d.verdict, plain.verdict, `${id} is fixed: remove it from KNOWN_ENCODING_FAILURES`);
  }
});
