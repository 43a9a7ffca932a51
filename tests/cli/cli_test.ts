/**
 * CLI golden tests: each row of cases.json runs `run(args, fakeIo)` from the repo root and compares exit code,
 * stdout and stderr with files in golden/. `deno task test:update` rewrites the goldens.
 * Normalized: the repo root becomes <ROOT>, the fake home /home/user stays as is.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { fakeIo } from "../../src/cli/io.ts";
import { run } from "../../src/cli/run.ts";

interface Row {
  name: string;
  args: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");
const GOLDEN = new URL("./golden/", import.meta.url);
const UPDATE = Deno.args.includes("--update");
const rows: Row[] = JSON.parse(Deno.readTextFileSync(new URL("./cases.json", import.meta.url)));

const normalize = (s: string) => s.replaceAll(ROOT, "<ROOT>").replace(/\d+\.\d+\.\d+(?=\n)/, "<VERSION>");

for (const row of rows) {
  Deno.test(`cli: ${row.name}`, async () => {
    const io = fakeIo({ cwd: ROOT, env: { HOME: "/home/user" } });
    const code = await run(row.args, io);
    const out = normalize(io.stdoutText());
    const err = normalize(io.stderrText());
    for (const [file, actual] of [[row.stdout, out], [row.stderr, err]] as const) {
      const url = new URL(file, GOLDEN);
      if (UPDATE && file !== "empty.txt") Deno.writeTextFileSync(url, actual);
      assert.equal(actual, Deno.readTextFileSync(url), `${row.name}: ${file}`);
    }
    assert.equal(code, row.exitCode, `${row.name}: exit code (stderr: ${err})`);
  });
}
