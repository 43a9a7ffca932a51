import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { compilePolicy } from "../policy/mod.ts";
import { checkOsSandbox } from "./check_os_sandbox.ts";
import { startOsContainment } from "./os_containment.ts";

const PY_SERVER = fileURLToPath(new URL("../../tests/fixtures/servers/py_server.py", import.meta.url));
const support = checkOsSandbox({ PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" });
const python = ["/usr/bin/python3", "/usr/local/bin/python3"].find((p) => {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
});

/** Sends JSON-RPC lines to a started launch and collects the answers by id (bounded wait). */
async function talk(
  plan: { command: string; args: string[]; env: Record<string, string>; cwd: string },
  requests: object[],
): Promise<{ answers: Map<number, unknown>; stderr: string }> {
  const c = spawn(plan.command, plan.args, {
    env: plan.env,
    cwd: plan.cwd,
    stdio: ["pipe", "pipe", "pipe", "pipe"], // fd 3: bwrap's --info-fd
  });
  let out = "";
  let stderr = "";
  const answers = new Map<number, unknown>();
  const done = new Promise<void>((resolve) => {
    c.stdout!.on("data", (b: Uint8Array) => {
      out += new TextDecoder().decode(b);
      for (const line of out.split("\n").slice(0, -1)) {
        const m = JSON.parse(line) as { id: number };
        answers.set(m.id, m);
      }
      out = out.slice(out.lastIndexOf("\n") + 1);
      if (answers.size === requests.length) resolve();
    });
    c.on("exit", () => resolve());
  });
  c.stderr!.on("data", (b: Uint8Array) => void (stderr += new TextDecoder().decode(b)));
  for (const r of requests) c.stdin!.write(`${JSON.stringify(r)}\n`);
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([done, new Promise((r) => timer = setTimeout(r, 60_000))]);
  clearTimeout(timer);
  c.stdin!.end();
  c.kill("SIGKILL");
  await new Promise((r) => c.once("close", r));
  return { answers, stderr };
}

Deno.test({
  name:
    "startOsContainment() starts a server contained under a policy of 10,000 allowed paths (bwrap --args)",
  ignore: support.bwrap === undefined || python === undefined,
  async fn() {
    const tmp = await Deno.realPath(await Deno.makeTempDir({ prefix: "ap-10k-" }));
    try {
      const home = `${tmp}/home`;
      const ws = `${tmp}/ws`;
      const runDir = `${tmp}/run`;
      await Deno.mkdir(home);
      await Deno.mkdir(runDir, { mode: 0o700 });
      const dirs = Array.from({ length: 10_000 }, (_, i) => `${ws}/repos/r${i % 100}/project-${i}`);
      for (const d of dirs) await Deno.mkdir(d, { recursive: true });
      await Deno.writeTextFile(`${dirs[7_777]}/notes.txt`, "inside");
      await Deno.writeTextFile(`${ws}/repos/secret.txt`, "outside");
      const policy = compilePolicy({
        version: 1,
        servers: { py: { allowed_paths: dirs, allowed_tools: ["read_file"], sandbox: { mode: "os" } } },
      }, { baseDir: ws, home });
      const c = await startOsContainment({
        policy,
        server: "py",
        argv: [python!, PY_SERVER],
        mode: "enforce",
        home,
        cwd: ws,
        env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: home },
        serverEnv: [],
        support,
        runDir,
        onEvent: () => {},
        note: () => {},
      });
      if ("uncontainable" in c) throw new Error(c.uncontainable);
      try {
        // The file view went through a file: no argument list holds the 10,000 binds.
        assert.equal(c.plan.command, "/bin/sh");
        assert.ok(c.plan.args.includes("--args"));
        assert.ok(
          c.plan.args.join(" ").length < 16 * 1024,
          `${c.plan.args.join(" ").length} bytes of arguments`,
        );
        assert.equal((await Deno.stat(`${runDir}/bwrap.args`)).mode! & 0o777, 0o600);
        const call = (id: number, path: string) => ({
          jsonrpc: "2.0",
          id,
          method: "tools/call",
          params: { name: "read_file", arguments: { path } },
        });
        const { answers, stderr } = await talk(c.plan, [
          {
            jsonrpc: "2.0",
            id: 0,
            method: "initialize",
            params: {
              protocolVersion: "2025-06-18",
              capabilities: {},
              clientInfo: { name: "t", version: "0" },
            },
          },
          call(1, `${dirs[7_777]}/notes.txt`),
          call(2, `${ws}/repos/secret.txt`),
        ]);
        assert.ok(answers.has(0), `no answer to initialize; stderr:\n${stderr.slice(-2000)}`);
        assert.match(JSON.stringify(answers.get(1)), /inside/);
        // Contained: a file of the workspace outside the 10,000 folders does not exist in the sandbox.
        assert.doesNotMatch(JSON.stringify(answers.get(2)), /outside/);
        assert.match(JSON.stringify(answers.get(2)), /No such file|not found|FileNotFound/i);
      } finally {
        await c.close();
      }
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
