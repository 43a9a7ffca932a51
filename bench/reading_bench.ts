/**
 * Issue 16, class 10: the time to a verdict on multi-megabyte arguments, each beside `JSON.parse` of the
 * same message (the floor any reader pays), in one run. The proxy's own path: strict parse, canonicalize
 * with the host's realpath, decide.
 *
 * Run: `deno run -A bench/reading_bench.ts`
 */
import { canonicalizeCall, hostRealpath } from "../src/canonical/mod.ts";
import { decide } from "../src/decision/mod.ts";
import { parseJsonStrict } from "../src/json/mod.ts";
import { compilePolicy, parsePolicy } from "../src/policy/mod.ts";

const policy = compilePolicy(
  parsePolicy(
    "version: 1\nservers:\n  s:\n    allowed_paths: [/w]\n    denied_paths: [~/.ssh]\n    denied_patterns: ['*.pem']\n",
    { file: "bench.yaml" },
  ).policy,
  { baseDir: "/w", home: "/h" },
);
const CASES: Record<string, unknown> = {
  "10 MB path": { path: "/w/" + "a".repeat(10_000_000) },
  "10 MB path of 3.3M segments": { path: "/w/" + "ab/".repeat(3_300_000) },
  "10 MB shell command": { command: "cat " + "x ".repeat(5_000_000) },
  "10 MB URL": { url: "https://example.com/" + "a".repeat(10_000_000) },
  "10 MB text": { content: "hello world ".repeat(850_000) },
  "2 MB list of 100,000 paths": { paths: Array.from({ length: 100_000 }, (_, i) => `/w/dir${i}/file.txt`) },
  // Windows forms (class 8): device prefixes, admin shares, 8.3 names, streams and best-fit separators.
  "4 MB list of 100,000 Windows paths": {
    paths: Array.from(
      { length: 100_000 },
      (_, i) => `\\\\?\\UNC\\localhost\\C$\\PROGRA~1\\d${i}\u00a5f.txt:s`,
    ),
  },
  "10 MB of 8.3 names in one path list": { path: "C:\\w\\AB~1;".repeat(1_000_000) },
  // Names ending in a long run of spaces or dots: a `[. ]+$` regex backtracks over the run (quadratic).
  "10 MB of 330 paths with 30,000 trailing spaces": {
    paths: Array.from({ length: 330 }, (_, i) => `C:\\w\\a${i}${" ".repeat(30_000)}x`),
  },
  // The red-team readings (#16): URL lists in one string, host-shaped values, relative names under unknown
  // keys, space-separated path lists, dotfile keys.
  "10 MB comma list of URLs in one string": { urls: "https://a.example/x,".repeat(500_000) },
  "10 MB host-shaped value under a server key": { server: "a.".repeat(5_000_000) + "com" },
  "10 MB relative name under an unknown key": { config: "a/".repeat(5_000_000) },
  "10 MB space-separated path list": { paths: "/w/a ".repeat(2_000_000) },
  "100,000 dotfile keys": {
    changes: Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`.f${i}`, "x"])),
  },
};
const enc = new TextEncoder();
const rows: string[] = [];
for (const [name, args] of Object.entries(CASES)) {
  const text = JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { name: "t", arguments: args },
  });
  const floor: number[] = [];
  const full: number[] = [];
  let verdict = "";
  for (let i = 0; i < 5; i++) {
    let t = performance.now();
    JSON.parse(text);
    floor.push(performance.now() - t);
    t = performance.now();
    const p = parseJsonStrict(text);
    const m = (p.ok ? p.value : {}) as { params: { name: string; arguments: unknown } };
    const call = canonicalizeCall(
      { server: "s", method: "tools/call", tool: m.params.name, arguments: m.params.arguments },
      { cwd: "/w", home: "/h", realpath: hostRealpath },
    );
    const d = decide(policy, call);
    full.push(performance.now() - t);
    verdict = `${d.verdict} ${d.ruleIds[0] ?? ""}`;
  }
  const med = (xs: number[]) => xs.sort((a, b) => a - b)[2]!;
  rows.push(
    `| ${name} | ${(text.length / 1e6).toFixed(1)} MB | ${med(floor).toFixed(0)} ms | ${
      med(full).toFixed(0)
    } ms | ${verdict} |`,
  );
}
Deno.stdout.writeSync(enc.encode(
  [
    "| argument | message | JSON.parse | parse + canonicalize + decide | verdict |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
  ]
    .join("\n") + "\n",
));
