/**
 * Proofs for the inferred policy: every learned call replays as allowed through canonicalizeCall() + decide(),
 * the built-in attack packs are blocked, and the traps in the fixtures are not learned.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { fileURLToPath } from "node:url";
import { canonicalizeCall } from "../../src/canonical/mod.ts";
import { decide } from "../../src/decision/mod.ts";
import {
  inferPolicy,
  type InferResult,
  type LearnedCall,
  renderPolicy,
  TraceAccumulator,
} from "../../src/infer/mod.ts";
import { type CompiledPolicy, compilePolicy, parsePolicy } from "../../src/policy/mod.ts";
import { BUILTIN_PACKS, replayPack } from "../../src/replay/mod.ts";

const home = "/home/dev";
const P = "/home/dev/proj";
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/traces/valid/${name}`, import.meta.url));

function inferFrom(lines: string[]): { r: InferResult; learned: LearnedCall[]; compiled: CompiledPolicy } {
  const learned: LearnedCall[] = [];
  const acc = new TraceAccumulator({ cwd: P, home, onLearn: (c) => learned.push(c) });
  lines.forEach((l, i) => acc.addLine(l, { file: "t", line: i + 1 }));
  const r = inferPolicy(acc, { baseDir: P, home });
  // Round trip through the text: what is enforced is the file, not the object.
  const text = renderPolicy(r.policy, { comments: r.comments });
  const { policy } = parsePolicy(text, { file: "inferred.yaml" });
  return { r, learned, compiled: compilePolicy(policy, { baseDir: P, home }) };
}

function verdictOf(
  compiled: CompiledPolicy,
  c: { server: string; method?: string; tool?: string; arguments: unknown; cwd: string },
) {
  const call = c.method === undefined || c.method === "tools/call" || c.method === "prompts/get"
    ? canonicalizeCall({ server: c.server, method: c.method, tool: c.tool, arguments: c.arguments }, {
      cwd: c.cwd,
      home,
    })
    : canonicalizeCall({ server: c.server, method: c.method, params: c.arguments }, { cwd: c.cwd, home });
  return decide(compiled, call);
}

const lines = (name: string) => Deno.readTextFileSync(fixture(name)).split("\n");

for (const name of ["v1_session.jsonl", "legacy_original.jsonl"]) {
  Deno.test(`inferred policy from ${name}: every learned call replays as allow (approval-list tools as approve)`, () => {
    const { r, learned, compiled } = inferFrom(lines(name));
    assert.ok(learned.length >= 4, `learned ${learned.length}`);
    const approvals = new Set(r.policy.approvals?.require_human_approval ?? []);
    for (const c of learned) {
      const d = verdictOf(compiled, c);
      const want = approvals.has(`${c.server}.${c.tool}`) ? "approve" : "allow";
      assert.equal(d.verdict, want, `${c.server}.${c.tool} ${JSON.stringify(c.arguments)}: ${d.reason}`);
    }
  });

  Deno.test(`inferred policy from ${name}: the built-in attack packs are blocked`, () => {
    const { compiled } = inferFrom(lines(name));
    let judged = 0;
    for (const pack of BUILTIN_PACKS) {
      for (const res of replayPack(compiled, pack, { cwd: P, home })) {
        if (res.expect !== "block") continue;
        judged++;
        assert.ok(res.blocked, `${res.id} got through: ${res.reason}`);
      }
    }
    assert.ok(judged >= 8);
  });
}

Deno.test("inferred policy blocks the original pack on the servers it knows, not only via unknown-server", () => {
  const { compiled } = inferFrom(lines("v1_session.jsonl"));
  const original = BUILTIN_PACKS.find((p) => p.id === "original")!;
  const res = replayPack(compiled, original, {
    cwd: P,
    home,
    serverMap: { github: "github", filesystem: "filesystem" },
  });
  const onKnown = res.filter((x) => !x.unknownServer);
  assert.ok(onKnown.length >= 5, `only ${onKnown.length} judged by real rules`);
  for (const x of onKnown) assert.ok(x.blocked, `${x.id}: ${x.reason}`);
});

Deno.test("inferred policy does not learn the traps: root file, secret after untrusted input, denied, refused", () => {
  const { r, compiled } = inferFrom(lines("v1_session.jsonl"));
  const fs = r.policy.servers!.filesystem!;
  assert.ok(!fs.allowed_paths!.includes("/"), "a root-level file must not give /");
  assert.ok(!fs.allowed_paths!.some((p) => p === "~" || p === "/README.md" || p.includes(".ssh")));
  const traps: [string, string, Record<string, unknown>][] = [
    ["filesystem", "read_text_file", { path: "/README.md" }],
    ["filesystem", "read_text_file", { path: "/etc/passwd" }],
    ["filesystem", "read_text_file", { path: "~/.ssh/id_rsa" }],
    ["filesystem", "read_text_file", { path: ".env.local" }],
    ["filesystem", "read_text_file", { path: "../other/secret.txt" }],
    ["filesystem", "move_file", { source: "src/a.ts", destination: "/tmp/x/a.ts" }],
    ["filesystem", "edit_file", { path: "src/main.ts", edits: [] }],
    ["filesystem", "delete_file", { path: "src/main.ts" }],
    ["github", "merge_pull_request", { owner: "acme", repo: "app", pull_number: 1 }],
    ["web", "fetch", { url: "http://169.254.169.254/latest/meta-data" }],
    ["web", "fetch", { url: "https://evil.example.net/x" }],
  ];
  for (const [server, tool, args] of traps) {
    const d = verdictOf(compiled, { server, tool, arguments: args, cwd: P });
    assert.equal(
      d.verdict,
      "deny",
      `${server}.${tool} ${JSON.stringify(args)} was ${d.verdict}: ${d.reason}`,
    );
  }
  const reasons = r.notLearned.map((n) => `${n.tool}:${n.reason}`);
  for (
    const want of ["move_file:approval refused", "read_text_file:denied", "read_text_file:sensitive path"]
  ) {
    assert.ok(reasons.includes(want), `${want} missing from ${reasons}`);
  }
});

Deno.test("inferred policy from random sessions: learned calls allowed, never /, home or a top-level directory", () => {
  const seg = fc.constantFrom("src", "lib", "docs", "a", "b", "c", "d.ts", "e.md", "deep");
  const path = fc.tuple(
    fc.constantFrom(P, `${home}/other`, "/srv/app", "/opt/x", "/tmp/w"),
    fc.array(seg, { minLength: 1, maxLength: 4 }),
  ).map(([root, segs]) => `${root}/${segs.join("/")}`);
  fc.assert(
    fc.property(fc.array(path, { minLength: 1, maxLength: 25 }), (paths) => {
      const ls = paths.map((p, i) =>
        JSON.stringify({ ts: i, server: "fs", tool: "read_file", args: { path: p }, decision: "record" })
      );
      const { r, learned, compiled } = inferFrom(ls);
      for (const c of learned) assert.equal(verdictOf(compiled, c).verdict, "allow");
      for (const e of r.policy.servers!.fs!.allowed_paths!) {
        assert.ok(!["/", "~", "/srv", "/opt", "/tmp", "/home", "/home/dev"].includes(e), e);
      }
      // Nothing outside the used roots is allowed.
      assert.equal(
        verdictOf(compiled, { server: "fs", tool: "read_file", arguments: { path: "/etc/hosts" }, cwd: P })
          .verdict,
        "deny",
      );
    }),
    { numRuns: 150 },
  );
});
