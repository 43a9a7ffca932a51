/**
 * `check --calls` in a worker pool prints exactly what one thread prints: same lines, same order, same
 * counts, same exit code, on a file mixing every kind of line.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { callJudge, checkLines, noCounts } from "../../src/cli/commands/_check_calls.ts";
import { checkRealpath } from "../../src/cli/commands/_check_fs_cache.ts";
import { checkInPool } from "../../src/cli/commands/_check_pool.ts";
import { fakeIo } from "../../src/cli/io.ts";
import { run } from "../../src/cli/run.ts";
import { readLines } from "../../src/cli/shared.ts";
import { loadPolicy } from "../../src/policy/mod.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const POLICY = `${ROOT}examples/policies/example.mcp.policy.yaml`;
const HOME = "/home/user";

/** About 1.3 MB of lines: several batches, every verdict, malformed lines, CRLF, a BOM, no final newline. */
function mixedCalls(): string {
  const kinds = [
    (i: number) =>
      JSON.stringify({ id: i, server: "filesystem", tool: "read_file", arguments: { path: "./src/app.ts" } }),
    (i: number) =>
      JSON.stringify({
        id: i,
        server: "filesystem",
        tool: "read_file",
        arguments: { path: `~/.ssh/id_${i}` },
      }),
    (i: number) => JSON.stringify({ id: i, server: "github", tool: "merge_pr", arguments: {} }),
    (i: number) =>
      JSON.stringify({ id: i, server: "github", tool: "list_repos", arguments: { org: `o${i % 7}` } }),
    (i: number) =>
      JSON.stringify({
        id: i,
        server: "filesystem",
        tool: "read_multiple_files",
        arguments: { paths: [`./src/m${i % 50}/f${i}.ts`, `./docs/ü${i}`, `/etc/x${i % 3}`] },
      }),
    () => "not json",
    (i: number) => `nope ${i}\r`,
    () => "",
    (i: number) => `{"id":${i},"server":"github"}\r`,
    () => "[1,2]",
    (i: number) =>
      `{"id":${i},"server":"filesystem","tool":"read_file","arguments":{"path":"~/.ssh/id_rsa","p\\u0061th":"./src/app.ts"}}`,
    (i: number) =>
      JSON.stringify({ id: i, server: "shell", tool: "exec", arguments: { command: `cat ./src/f${i}` } }),
  ];
  const lines: string[] = [];
  for (let i = 0; i < 12_000; i++) lines.push(kinds[i % kinds.length]!(i));
  return "\uFEFF" + lines.join("\n");
}

Deno.test("check --calls: a pool of workers prints what one thread prints, in the same order", async () => {
  await using dir = await tempDir();
  const file = `${dir.path}/calls.jsonl`;
  await Deno.writeTextFile(file, mixedCalls());
  for (const format of ["jsonl", "text"]) {
    const runWith = async (jobs: string) => {
      const io = fakeIo({ cwd: ROOT, env: { HOME } });
      const code = await run(
        ["check", "-p", POLICY, "--calls", file, "--format", format, "--jobs", jobs],
        io,
      );
      return { code, out: io.stdoutText(), err: io.stderrText() };
    };
    const one = await runWith("1");
    const pooled = await runWith("3");
    assert.equal(one.code, 1);
    assert.ok(one.out.split("\n").length > 10_000, format);
    assert.equal(pooled.out, one.out, format);
    assert.equal(pooled.err, one.err, format);
    assert.equal(pooled.code, one.code, format);
  }
});

Deno.test("checkInPool(): the workers judge every batch as this thread would, in input order", async () => {
  await using dir = await tempDir();
  const file = `${dir.path}/calls.jsonl`;
  await Deno.writeTextFile(file, mixedCalls() + "\n");
  const loaded = await loadPolicy(POLICY, { cwd: ROOT, home: HOME });
  const cwd = `${ROOT}examples/policies`;
  const judge = callJudge(loaded.compiled, { cwd, home: HOME, realpath: checkRealpath() });
  const io = fakeIo({ cwd: ROOT });
  const lines: string[] = [];
  for await (const l of readLines(file, io)) lines.push(l);
  const seqCounts = noCounts();
  const expected = checkLines(judge, lines, { firstLine: 1, format: "jsonl", counts: seqCounts });

  let out = "";
  const f = await Deno.open(file);
  const r = await checkInPool(f.readable, {
    workers: 2,
    init: { policy: loaded.policy, baseDir: `${ROOT}examples/policies`, home: HOME, cwd, format: "jsonl" },
    judgeHere: () => {
      throw new Error("judged here although workers were asked to");
    },
    judgeHereToo: false,
    write: (t) => void (out += t),
  });
  assert.equal(r.lines, lines.length);
  assert.deepEqual(r.counts, seqCounts);
  assert.equal(out, expected);
});

async function tempDir(): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix: "agentperms-check-pool-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

Deno.test("checkInPool(): when no worker can start, this thread judges everything", async () => {
  const lines = ['{"id":1,"server":"github","tool":"list_repos"}', "", "nope"];
  const bytes = new TextEncoder().encode(lines.join("\n") + "\n");
  const seen: number[] = [];
  let out = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tooLong = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("the pool waited for workers that never start")), 20_000);
  });
  const r = await Promise.race([
    tooLong,
    checkInPool(
      (async function* () {
        yield bytes;
      })(),
      {
        workers: 2,
        // Not a policy: compiling it throws in each worker before it is ready.
        init: { policy: null as never, baseDir: "/", home: HOME, cwd: "/", format: "jsonl" },
        judgeHere: (ls, firstLine, counts) => {
          seen.push(firstLine);
          counts.error += ls.length;
          return ls.map((l) => `${l.length}\n`).join("");
        },
        judgeHereToo: false,
        write: (t) => void (out += t),
      },
    ),
  ]).finally(() => clearTimeout(timer));
  assert.deepEqual(seen, [1]);
  assert.equal(r.lines, 3);
  assert.equal(out, "46\n0\n4\n");
});
