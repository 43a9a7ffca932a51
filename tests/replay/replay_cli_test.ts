// CLI goldens and exit codes for `agentperms replay`, run in-process with fakeIo().
// Rewrite goldens with `deno task test:update` (passes --update) after reviewing the diff.
import assert from "node:assert/strict";
import { join } from "node:path";
import { fakeIo } from "../../src/cli/io.ts";
import { run } from "../../src/cli/run.ts";

const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const GOLDEN = join(ROOT, "tests/replay/golden");
const HOME = "/home/tester";
const UPDATE = Deno.args.includes("--update");
const EXAMPLE_POLICY = Deno.readTextFileSync(join(ROOT, "examples/policies/example.mcp.policy.yaml"));

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = Deno.realPathSync(await Deno.makeTempDir({ prefix: "agentperms-replay-" }));
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function replay(args: string[], cwd: string) {
  const io = fakeIo({ cwd, env: { HOME } });
  const code = await run(["replay", ...args], io);
  const norm = (s: string) =>
    s.replaceAll(cwd, "<TMP>").replaceAll(ROOT, "<ROOT>").replaceAll(HOME, "<HOME>")
      // Column widths follow the length of the temp and checkout paths: fold the padding so goldens hold anywhere.
      .replace(/─+/g, "─").replace(/ +│/g, " │");
  return { code, stdout: norm(io.stdoutText()), stderr: norm(io.stderrText()) };
}

async function golden(name: string, actual: string): Promise<void> {
  const file = join(GOLDEN, name);
  if (UPDATE) {
    await Deno.writeTextFile(file, actual);
    return;
  }
  let want: string;
  try {
    want = await Deno.readTextFile(file);
  } catch {
    throw new Error(`golden ${name} is missing; run \`deno task test:update\``);
  }
  assert.equal(
    actual,
    want,
    `golden ${name} differs; run \`deno task test:update\` if the change is intended`,
  );
}

Deno.test("replay prints the original's table and `8/8 attacks blocked.` for the example policy", async () => {
  await withTmp(async (dir) => {
    await Deno.writeTextFile(join(dir, "mcp.policy.yaml"), EXAMPLE_POLICY);
    const r = await replay(["--only", "original"], dir);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^8\/8 attacks blocked\.$/m);
    assert.match(r.stderr, /does not list servers "shell", "gmail", "postgres"/);
    await golden("original_table.golden", `${r.stdout}--- stderr ---\n${r.stderr}`);
  });
});

Deno.test("replay --format json gives results, summary and the evasion breakdown", async () => {
  await withTmp(async (dir) => {
    await Deno.writeTextFile(join(dir, "mcp.policy.yaml"), EXAMPLE_POLICY);
    const r = await replay(["--only", "original", "--format", "json"], dir);
    assert.equal(r.code, 0);
    const out = JSON.parse(r.stdout);
    assert.equal(out.v, 1);
    assert.equal(out.ok, true);
    assert.deepEqual(out.summary.attacks, { total: 8, blocked: 8 });
    assert.deepEqual(out.runs[0].results.map((x: { attack: string }) => x.attack).slice(0, 2), [
      "ssh-key-exfil",
      "env-secret-read",
    ]);
    await golden("original_json.golden", r.stdout);
  });
});

Deno.test("replay json breaks the evasion pack down by class", async () => {
  await withTmp(async (dir) => {
    await Deno.writeTextFile(join(dir, "mcp.policy.yaml"), EXAMPLE_POLICY);
    const r = await replay(["--only", "evasion", "--format", "json"], dir);
    assert.equal(r.code, 0);
    const { summary } = JSON.parse(r.stdout);
    assert.equal(summary.controls.allowed, summary.controls.total);
    assert.deepEqual(summary.byEvasion["metadata-ip"], { attacks: 13, blocked: 13, controls: 0, allowed: 0 });
    assert.equal(r.stderr, "", "the evasion pack targets only servers the example policy lists");
  });
});

Deno.test("replay on a servers: {} policy blocks 0/8, warns clearly and exits 1", async () => {
  await withTmp(async (dir) => {
    await Deno.writeTextFile(join(dir, "mcp.policy.yaml"), "version: 1\nservers: {}\n");
    const r = await replay(["--only", "original"], dir);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^0\/8 attacks blocked\.$/m);
    assert.match(r.stdout, /^Policy has holes: 8 attack\(s\) got through/m);
    assert.match(r.stderr, /has "servers: \{\}": it allows every call/);
    await golden("empty_policy_table.golden", `${r.stdout}--- stderr ---\n${r.stderr}`);
  });
});

Deno.test("replay exits 1 and names the control when a benign control is blocked", async () => {
  await withTmp(async (dir) => {
    // Deny ./docs on top of the example policy: the evasion pack's docs controls must now fail.
    const tight = EXAMPLE_POLICY.replace(
      "denied_paths: [~/.ssh, ~/.env, /etc]",
      "denied_paths: [~/.ssh, ~/.env, /etc, ./docs]",
    );
    await Deno.writeTextFile(join(dir, "mcp.policy.yaml"), tight);
    const r = await replay(["--only", "evasion"], dir);
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      /Policy over-blocks: \d+ benign control\(s\) were blocked \(evasion\/control\.docs-file/,
    );
    assert.match(r.stdout, /control\.docs-file .*│ BLOCKED /);
  });
});

Deno.test("replay --server-map points pack servers at the policy's names and silences the warning", async () => {
  await withTmp(async (dir) => {
    const policy = "version: 1\nservers:\n  fs:\n    denied_paths: [~/.ssh]\n    allowed_paths: [./src]\n" +
      "  gh:\n    allowed_tools: [list_repos]\n  sh:\n    allowed_tools: [exec]\n" +
      "  mail:\n    allowed_tools: [send_email]\n  pg:\n    allowed_tools: [execute_write]\n" +
      "approvals:\n  require_human_approval: [sh.exec, mail.send_email, pg.execute_write]\n";
    await Deno.writeTextFile(join(dir, "mcp.policy.yaml"), policy);
    const unmapped = await replay(["--only", "original"], dir);
    assert.equal(unmapped.code, 0, "8/8, but only through unknown-server denies");
    assert.match(
      unmapped.stderr,
      /does not list servers "filesystem", "shell", "gmail", "github", "postgres"/,
    );
    const mapped = await replay([
      "--only",
      "original",
      ...["filesystem=fs", "github=gh", "shell=sh", "gmail=mail", "postgres=pg"].flatMap((
        m,
      ) => ["--server-map", m]),
    ], dir);
    assert.equal(mapped.code, 0);
    assert.equal(mapped.stderr, "");
    assert.match(mapped.stdout, /shell-exec +│ sh\.exec .*blocked \(approval\)/);
  });
});

Deno.test("replay reads a directory of policies and several --policy flags, with a total line", async () => {
  await withTmp(async (dir) => {
    await Deno.mkdir(join(dir, "policies"));
    await Deno.writeTextFile(join(dir, "policies/a.yaml"), EXAMPLE_POLICY);
    await Deno.writeTextFile(join(dir, "policies/b.yml"), EXAMPLE_POLICY);
    await Deno.writeTextFile(join(dir, "policies/notes.md"), "not a policy");
    const r = await replay(["-p", "policies", "-p", "policies/a.yaml", "--only", "original"], dir);
    assert.equal(r.code, 0);
    assert.deepEqual([...r.stdout.matchAll(/^Policy (\S+),/gm)].map((m) => m[1]), [
      "policies/a.yaml",
      "policies/b.yml",
      "policies/a.yaml",
    ]);
    assert.match(r.stdout, /Total over 3 policy × pack runs:\n24\/24 attacks blocked\.\n/);
  });
});

Deno.test("replay replays the example git-server pack with its policy", async () => {
  const r = await replay([
    "-p",
    "examples/attack-packs/git-repo/mcp.policy.yaml",
    "--no-builtin",
    "--pack",
    "examples/attack-packs/git_server_pack.ts",
  ], ROOT);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^18\/18 attacks blocked\.\n4\/4 benign controls allowed\.\n$/m);
  await golden("git_server_table.golden", r.stdout);
});

Deno.test("replay loads every pack in a --pack directory", async () => {
  const r = await replay([
    "-p",
    "examples/policies/example.mcp.policy.yaml",
    "--no-builtin",
    "--pack",
    "examples/attack-packs",
    "--server-map",
    "git=filesystem",
    "--format",
    "json",
  ], ROOT);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(out.runs.map((x: { pack: { id: string } }) => x.pack.id), [
    "cloud-credentials",
    "git-server",
  ]);
});

Deno.test("replay exit codes: 2 for usage errors, 3 for an invalid pack or policy", async () => {
  await withTmp(async (dir) => {
    await Deno.writeTextFile(join(dir, "mcp.policy.yaml"), EXAMPLE_POLICY);
    await Deno.writeTextFile(join(dir, "bad.json"), JSON.stringify({ apiVersion: 9, id: "x" }));
    await Deno.writeTextFile(
      join(dir, "dup.json"),
      JSON.stringify({
        apiVersion: 1,
        id: "original",
        version: "1",
        description: "clash",
        attacks: [],
      }),
    );
    assert.equal((await replay(["--server-map", "nonsense"], dir)).code, 2);
    assert.equal((await replay(["--format", "xml"], dir)).code, 2);
    assert.equal((await replay(["--no-builtin"], dir)).code, 2);
    const bad = await replay(["--pack", "bad.json"], dir);
    assert.equal(bad.code, 3);
    assert.match(bad.stderr, /unsupported apiVersion 9/);
    const dup = await replay(["--pack", "dup.json"], dir);
    assert.equal(dup.code, 3);
    assert.match(dup.stderr, /hint: "original" is a built-in pack/);
    const missing = await replay(["-p", "nope.yaml"], dir);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /Cannot load policy "nope.yaml"/);
  });
});

Deno.test("replay --help shows examples", async () => {
  const io = fakeIo({ env: { HOME } });
  assert.equal(await run(["replay", "--help"], io), 0);
  assert.match(io.stdoutText(), /Examples:\n {2}\$ agentperms replay --policy mcp.policy.yaml/);
});

Deno.test("replay blocks the original pack on the demo policy once every pack server maps to demo", async () => {
  const maps = ["filesystem", "github", "shell", "gmail", "postgres"].flatMap((
    s,
  ) => ["--server-map", `${s}=demo`]);
  const r = await replay(
    ["-p", "examples/policies/demo.mcp.policy.yaml", "--only", "original", ...maps],
    ROOT,
  );
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.stderr, "", "no block comes from the unknown-server default-deny");
  assert.match(r.stdout, /gmail-send +│ demo\.send_email .*blocked \(approval\)/);
  assert.match(r.stdout, /^8\/8 attacks blocked\.$/m);
});

Deno.test("replay --cwd moves where relative call paths resolve, so the ./src controls fall outside", async () => {
  await withTmp(async (dir) => {
    await Deno.writeTextFile(join(dir, "mcp.policy.yaml"), EXAMPLE_POLICY);
    const inside = await replay(["--only", "evasion", "--format", "json"], dir);
    assert.equal(inside.code, 0);
    const moved = await replay(["--only", "evasion", "--format", "json", "--cwd", "/somewhere/else"], dir);
    assert.equal(moved.code, 1);
    const { summary } = JSON.parse(moved.stdout);
    assert.ok(summary.overBlocked.includes("evasion/control.src-file"));
    assert.deepEqual(summary.holes, [], "moving the cwd never lets an attack through");
  });
});

Deno.test("replay warns about a pack without attacks", async () => {
  await withTmp(async (dir) => {
    await Deno.writeTextFile(join(dir, "mcp.policy.yaml"), EXAMPLE_POLICY);
    await Deno.writeTextFile(
      join(dir, "empty.yaml"),
      "apiVersion: 1\nid: empty\nversion: 0.1.0\ndescription: x\nattacks: []\n",
    );
    const r = await replay(["--no-builtin", "--pack", "empty.yaml"], dir);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /warning: attack pack "empty" has no attacks, so it proves nothing/);
    assert.match(r.stdout, /^0\/0 attacks blocked\.$/m);
  });
});
