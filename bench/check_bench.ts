/**
 * `agentperms check --calls` over 100,000 JSONL calls (target: under 5 s), against the baseline of reading and
 * JSON.parse-ing the same file, in the same run.
 */
import { fakeIo } from "../src/cli/io.ts";
import { run } from "../src/cli/run.ts";

const N = 100_000;
const dir = await Deno.makeTempDir();
const file = `${dir}/calls.jsonl`;
const lines: string[] = [];
const samples = [
  { server: "filesystem", tool: "read_file", arguments: { path: "./src/app.ts" } },
  { server: "filesystem", tool: "read_file", arguments: { path: "~/.ssh/id_rsa" } },
  { server: "github", tool: "list_repos", arguments: {} },
  {
    server: "filesystem",
    tool: "read_multiple_files",
    arguments: { paths: ["./src/a", "./docs/b", "/etc/x"] },
  },
];
for (let i = 0; i < N; i++) lines.push(JSON.stringify({ id: i, ...samples[i % samples.length] }));
await Deno.writeTextFile(file, lines.join("\n") + "\n");
const policy = new URL("../examples/policies/example.mcp.policy.yaml", import.meta.url).pathname;

Deno.bench(
  "baseline: read + JSON.parse 100k lines",
  { group: "check", baseline: true, n: 3, warmup: 1 },
  async () => {
    const text = await Deno.readTextFile(file);
    for (const l of text.split("\n")) if (l) JSON.parse(l);
  },
);
Deno.bench(
  "agentperms check --calls (100k lines, jsonl out)",
  { group: "check", n: 3, warmup: 1 },
  async () => {
    const io = fakeIo({ cwd: dir, env: { HOME: "/home/u" } });
    const code = await run(["check", "-p", policy, "--calls", file, "--format", "jsonl"], io);
    if (code !== 1) throw new Error(`unexpected exit ${code}`);
  },
);
