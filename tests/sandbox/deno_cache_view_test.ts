/**
 * A Deno server contained by the OS sandbox reads its packages from the user's shared Deno cache, however
 * many entries that cache holds. The start-up walk for `denied_patterns` has a budget; a cache past it must
 * not have its package folders hidden whole (the server then dies on "Cannot find module"), while the
 * project's own files matching the patterns stay masked.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { compilePolicy } from "../../src/policy/mod.ts";
import { checkOsSandbox, startOsContainment } from "../../src/sandbox/mod.ts";

const support = checkOsSandbox({ PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" });

/** Runs a launch to its end (bounded): its stdout and stderr. */
async function run(plan: { command: string; args: string[]; env: Record<string, string>; cwd: string }) {
  const c = spawn(plan.command, plan.args, {
    env: plan.env,
    cwd: plan.cwd,
    stdio: ["ignore", "pipe", "pipe", "pipe"], // fd 3: bwrap's --info-fd
  });
  let stdout = "";
  let stderr = "";
  c.stdout!.on("data", (b: Uint8Array) => void (stdout += new TextDecoder().decode(b)));
  c.stderr!.on("data", (b: Uint8Array) => void (stderr += new TextDecoder().decode(b)));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const closed = new Promise((r) => c.once("close", r));
  await Promise.race([closed, new Promise((r) => timer = setTimeout(r, 60_000))]);
  clearTimeout(timer);
  if (c.exitCode === null) {
    c.kill("SIGKILL");
    await closed;
  }
  return { stdout, stderr };
}

Deno.test({
  name:
    "startOsContainment(): a Deno server reads a package from a shared Deno cache larger than the mask walk's budget; the project's *.pem stays masked",
  ignore: support.bwrap === undefined,
  async fn() {
    const tmp = await Deno.realPath(await Deno.makeTempDir({ prefix: "ap-denocache-" }));
    try {
      const home = `${tmp}/home`;
      const ws = `${tmp}/project`;
      const runDir = `${tmp}/run`;
      // DENO_DIR unset: the cache is the home's default one, as on a user's machine.
      const denoDir = `${home}/.cache/deno`;
      const pkg = `${denoDir}/npm/registry.npmjs.org/some-pkg/1.0.0`;
      await Deno.mkdir(pkg, { recursive: true });
      await Deno.mkdir(ws);
      await Deno.mkdir(runDir, { mode: 0o700 });
      await Deno.writeTextFile(`${pkg}/index.js`, "PACKAGE-CODE");
      // More entries at the cache's top than the walk's budget (20,000): every folder below is past it.
      for (let i = 0; i < 20_050; i++) Deno.writeFileSync(`${denoDir}/f${i}`, new Uint8Array());
      await Deno.writeTextFile(`${ws}/server.pem`, "PROJECT-KEY");
      await Deno.writeTextFile(
        `${ws}/server.ts`,
        `for (const p of Deno.args) {
  try {
    console.log(p, Deno.readTextFileSync(p));
  } catch (e) {
    console.log(p, "unreadable", (e as Error).name);
  }
}
`,
      );
      const policy = compilePolicy({
        version: 1,
        servers: { d: { allowed_paths: [ws], denied_patterns: ["*.pem"], sandbox: { mode: "os" } } },
      }, { baseDir: ws, home });
      const notes: string[] = [];
      const c = await startOsContainment({
        policy,
        server: "d",
        argv: [
          Deno.execPath(),
          "run",
          "--no-prompt",
          "--no-config",
          "--allow-read",
          `${ws}/server.ts`,
          `${pkg}/index.js`,
          `${ws}/server.pem`,
        ],
        mode: "enforce",
        home,
        cwd: ws,
        env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: home },
        serverEnv: [],
        support,
        runDir,
        onEvent: () => {},
        note: (d) => notes.push(d),
      });
      if ("uncontainable" in c) throw new Error(c.uncontainable);
      try {
        const { stdout, stderr } = await run(c.plan);
        assert.match(stdout, /index\.js PACKAGE-CODE/, `stdout:\n${stdout}\nstderr:\n${stderr.slice(-2000)}`);
        assert.match(stdout, /server\.pem unreadable/, stdout);
        assert.doesNotMatch(stdout, /PROJECT-KEY/);
        assert.ok(!notes.some((n) => n.includes("hidden whole")), notes.join("\n"));
      } finally {
        await c.close();
      }
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
