/**
 * The README's demo block is the demo's own output: this runs `examples/demo.ts` (what `deno task demo` runs)
 * with a throwaway HOME and state folder and checks the block line by line, so the two cannot drift.
 * In the block, a line `...` stands for any number of output lines and `…` inside a line for any text
 * (temp paths, the checkout's location); everything else must match the trimmed output line exactly and
 * in order.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { defaultDenoDir, denoRuntimeEnv } from "../../src/sandbox/mod.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The fenced block after "Real output (trimmed" in the README. */
export function readmeDemoBlock(readme: string): string[] {
  const at = readme.indexOf("Real output (trimmed");
  assert.ok(at >= 0, 'README has no "Real output (trimmed…" block');
  const open = readme.indexOf("```\n", at);
  const close = readme.indexOf("\n```", open + 4);
  return readme.slice(open + 4, close).split("\n");
}

function lineRegExp(line: string): RegExp {
  const parts = line.split("…").map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${parts.join(".*")}$`);
}

/**
 * Matches the block against the output: `...` lines skip any output lines, the others must follow in order
 * (the block may start anywhere).
 * @returns the first README line that does not match, with where the search was, or undefined
 */
export function mismatch(block: string[], output: string[]): string | undefined {
  const want = block.map((l) => l.trim()).filter((l) => l !== "");
  const got = output.map((l) => l.trim()).filter((l) => l !== "");
  let i = 0;
  let gap = true; // the block may start anywhere in the output
  for (const line of want) {
    if (line === "...") {
      gap = true;
      continue;
    }
    const re = lineRegExp(line);
    const start = i;
    while (i < got.length && !re.test(got[i]!) && gap) i++;
    if (i >= got.length || !re.test(got[i]!)) {
      return `README line not in the demo's output:\n  ${line}\nexpected at:\n  ${
        got[start] ?? "(end of output)"
      }`;
    }
    i++;
    gap = false;
  }
  return undefined;
}

Deno.test("mismatch() honours ... gaps, … wildcards and order", () => {
  const out = ["a", "b /tmp/x/y", "c", "d"];
  assert.equal(mismatch(["a", "b …/y", "...", "d"], out), undefined);
  assert.equal(mismatch(["c", "d"], out), undefined);
  assert.match(mismatch(["a", "c"], out)!, /README line not in the demo's output:\n {2}c/);
  assert.match(mismatch(["a", "...", "e"], out)!, /e/);
  assert.match(mismatch(["b …/y", "a"], out)!, /a/);
});

Deno.test("README: the demo block is what `deno task demo` prints now", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "agentperms-readme-" });
  try {
    const realHome = Deno.env.get("HOME") ?? "/";
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--config", join(ROOT, "deno.json"), join(ROOT, "examples/demo.ts")],
      cwd: ROOT,
      clearEnv: true,
      env: {
        ...denoRuntimeEnv((k) => Deno.env.get(k)),
        DENO_DIR: Deno.env.get("DENO_DIR") ?? defaultDenoDir(realHome, Deno.env.toObject(), Deno.build.os),
        HOME: join(tmp, "home"),
        XDG_STATE_HOME: join(tmp, "state"),
        NO_COLOR: "1",
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const work = /Everything this run wrote is under (\S+)/.exec(text)?.[1];
    if (work?.includes("agentperms-demo-")) await Deno.remove(work, { recursive: true });
    const readme = await Deno.readTextFile(join(ROOT, "README.md"));
    const problem = mismatch(readmeDemoBlock(readme), text.split("\n"));
    assert.equal(problem, undefined, `${problem}\n\nThe demo printed:\n${text}`);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
