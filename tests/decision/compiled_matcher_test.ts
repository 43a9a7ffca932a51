/**
 * The compiled rule index (path trie, glob sets, host sets, tool and approval maps) against the naive matcher
 * it replaces (a scan of every rule in policy order), on random policies and random paths and hosts: both
 * must name the same rule, the first in policy order, every time.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { compilePolicy, type HostRule, pathRuleCovers, type PolicyV1 } from "../../src/policy/mod.ts";
import { foldToolName } from "../../src/canonical/mod.ts";

const RUNS = { numRuns: 400, seed: 2020 };
const O = { baseDir: "/proj", home: "/home/u" };

const seg = fc.constantFrom(
  "a",
  "A",
  "b",
  "src",
  "SRC",
  ".ssh",
  "x.pem",
  "X.PEM",
  "id_rsa",
  "ς",
  "Σ",
  "é",
  "É",
  "k",
  "a.b",
  "..",
  ".",
  "",
);
const globSeg = fc.constantFrom(
  "*",
  "**",
  "*.pem",
  "[ab]",
  "{a,b}",
  "?",
  "x*",
  "*a*",
  "id_*",
  "(a)",
  "!a",
  "@(a|b)",
);
const anySeg = fc.oneof({ weight: 4, arbitrary: seg }, { weight: 1, arbitrary: globSeg });
const segs = (s: fc.Arbitrary<string>) => fc.array(s, { minLength: 0, maxLength: 4 });

/** A policy path entry: absolute, home or relative, with a glob now and then. */
const pathEntry = fc.tuple(fc.constantFrom("/", "~/", "./", "/proj/", "/home/u/"), segs(anySeg)).map(
  ([pre, s]) => pre + s.filter((x) => x !== "").join("/"),
);
/** A path being judged: normalized absolute most of the time, odd shapes now and then. */
const abs = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.tuple(fc.constantFrom("/", "/proj/", "/home/u/"), segs(seg)).map(([p, s]) =>
      p + s.join("/")
    ),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.constantFrom("/", "/proj/", "/home/u/"), segs(anySeg)).map(([p, s]) =>
      p + s.join("/")
    ),
  },
  { weight: 1, arbitrary: segs(anySeg).map((s) => s.join("/")) },
);
const patternTok = fc.constantFrom(
  "*",
  "?",
  "pem",
  ".pem",
  "PEM",
  "id_rsa",
  "secret",
  "ς",
  "Σ",
  "[ab]",
  "{x,y}",
  "!",
  "/",
  "**",
  "./",
  "\\",
  ".env",
  "a",
  "(a|b)",
  "@",
);
const pattern = fc.array(patternTok, { minLength: 1, maxLength: 4 }).map((t) => t.join(""));
const hostTok = fc.constantFrom("example", "com", "*", "EXAMPLE", "api", "10", "0", "x?", "[ab]", "{a,b}");
const hostEntry = fc.tuple(
  fc.array(hostTok, { minLength: 1, maxLength: 3 }).map((t) => t.join(".")),
  fc.constantFrom("", ":443", ":*", ":80"),
  fc.constantFrom("", "https://"),
).map(([h, port, scheme]) => scheme + h + port);
const hostName = fc.array(fc.constantFrom("example", "com", "api", "a", "b", "10", "0", "x1", "ex"), {
  minLength: 1,
  maxLength: 4,
}).map((t) => t.join("."));
const tool = fc.constantFrom("read", "Read", "delete_repo", "Delete-Repo", "exec", "EXEC", "send.email");

const policy = fc.record({
  allowed_paths: fc.array(pathEntry, { maxLength: 12 }),
  denied_paths: fc.array(pathEntry, { maxLength: 12 }),
  denied_patterns: fc.array(pattern, { maxLength: 12 }),
  allowed_hosts: fc.array(hostEntry, { maxLength: 8 }),
  denied_hosts: fc.array(hostEntry, { maxLength: 8 }),
  denied_tools: fc.array(tool, { maxLength: 5 }),
  approvals: fc.array(fc.tuple(fc.constantFrom("", "fs.", "other.", "f.s."), tool).map(([a, b]) => a + b), {
    maxLength: 5,
  }),
});

function compileSafe(p: Record<string, string[]>) {
  const doc: PolicyV1 = {
    version: 1,
    servers: {
      fs: {
        allowed_paths: p.allowed_paths,
        denied_paths: p.denied_paths,
        denied_patterns: p.denied_patterns,
        allowed_hosts: p.allowed_hosts,
        denied_hosts: p.denied_hosts,
        denied_tools: p.denied_tools,
      },
    },
    approvals: { require_human_approval: p.approvals },
  };
  try {
    return compilePolicy(doc, O);
  } catch {
    return undefined; // an entry picomatch rejects fails the load, index or not
  }
}

Deno.test("compiled matcher: the path trie names the same rule as a scan of allowed_paths and denied_paths", () => {
  fc.assert(
    fc.property(policy, fc.array(abs, { minLength: 1, maxLength: 6 }), (p, paths) => {
      const c = compileSafe(p);
      if (!c) return;
      const s = c.servers.get("fs")!;
      for (const raw of paths) {
        const lower = raw.toLowerCase();
        const naiveDeny = s.deniedPaths.find((r) => pathRuleCovers(r, lower));
        assert.equal(s.index.deniedPath(lower)?.id, naiveDeny?.id, `denied_paths for ${raw}`);
        const naiveAllow = s.allowedPaths!.find((r) => pathRuleCovers(r, raw));
        assert.equal(s.index.allowedPath(raw)?.id, naiveAllow?.id, `allowed_paths for ${raw}`);
      }
    }),
    RUNS,
  );
});

Deno.test("compiled matcher: the glob set names the same rule as a scan of denied_patterns", () => {
  fc.assert(
    fc.property(policy, fc.array(abs, { minLength: 1, maxLength: 6 }), (p, paths) => {
      const c = compileSafe(p);
      if (!c) return;
      const s = c.servers.get("fs")!;
      for (const raw of paths) {
        const lower = raw.toLowerCase();
        const naive = s.deniedPatterns.find((r) => r.test(lower));
        assert.equal(s.index.deniedPattern(lower)?.id, naive?.id, `denied_patterns for ${raw}`);
      }
    }),
    RUNS,
  );
});

Deno.test("compiled matcher: the host sets name the same rule as a scan of allowed_hosts and denied_hosts", () => {
  const matches = (r: HostRule, h: string, port: string) =>
    (r.port === undefined || r.port === port) && r.host(h);
  fc.assert(
    fc.property(policy, hostName, fc.constantFrom("443", "80", ""), (p, host, port) => {
      const c = compileSafe(p);
      if (!c) return;
      const s = c.servers.get("fs")!;
      const accept = (r: HostRule) => matches(r, host, port);
      assert.equal(s.index.deniedHost([host], accept)?.id, s.deniedHosts.find(accept)?.id, `denied ${host}`);
      assert.equal(
        s.index.allowedHost([host], accept)?.id,
        s.allowedHosts!.find(accept)?.id,
        `allowed ${host}`,
      );
    }),
    RUNS,
  );
});

Deno.test("compiled matcher: tool and approval maps name the same entry as a scan", () => {
  fc.assert(
    fc.property(policy, tool, fc.constantFrom("fs", "other", "f"), (p, t, server) => {
      const c = compileSafe(p);
      if (!c) return;
      const s = c.servers.get("fs")!;
      const folded = foldToolName(t);
      assert.equal(s.index.deniedTool(folded)?.id, s.deniedTools.find((r) => r.folded === folded)?.id);
      const joined = `${server}.${t}`;
      const naive = c.approvals.find((a) =>
        a.server === undefined
          ? a.folded === folded
          : (a.server === server && a.folded === folded) || a.joined === joined
      );
      assert.equal(c.approvalIndex.first(server, folded, joined)?.id, naive?.id);
    }),
    RUNS,
  );
});
