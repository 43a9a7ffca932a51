/** `agentperms sandbox explain` through the real command table with a fake Io. */
import assert from "node:assert/strict";
import { fakeIo } from "../../src/cli/io.ts";
import { run } from "../../src/cli/run.ts";

const FS = "@modelcontextprotocol/server-filesystem@2026.8.31";

async function withPolicy(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "ap-sbx-cli-" }));
  try {
    await Deno.mkdir(`${dir}/proj/src`, { recursive: true });
    await Deno.writeTextFile(
      `${dir}/mcp.policy.yaml`,
      `version: 1
servers:
  fs:
    allowed_paths: [./proj/src]
    denied_paths: [~/.ssh]
    allowed_tools: [read_text_file]
  strict:
    allowed_paths: [./proj]
    sandbox: { mode: broker, env: [API_TOKEN] }
  fsdeno:
    allowed_paths: [./proj/src]
    denied_paths: [~/.ssh]
    allowed_tools: [read_text_file]
    sandbox: { mode: deno }
`,
    );
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("sandbox explain works from the policy alone: the OS sandbox profile and the rule behind each entry", async () => {
  await withPolicy(async (dir) => {
    const io = fakeIo({ cwd: dir, env: { HOME: "/home/u", PATH: "/usr/bin", API_TOKEN: "tok-secret" } });
    const code = await run(["sandbox", "explain", "--server", "fs"], io);
    assert.equal(code, 0, io.stderrText());
    const out = io.stdoutText();
    assert.match(out, /Server "fs": contained \(OS sandbox: bubblewrap, enforce mode\)/);
    assert.ok(
      out.includes(`Reads:\n  ${dir}/proj/src\n      an allowed path (servers.fs.allowed_paths[0])`),
      out,
    );
    assert.match(out, /Writes:\n {2}\(none/);
    assert.match(out, /Nothing is writable: the policy allows no write tools for "fs"/);
    assert.match(out, /\/home\/u\/\.ssh {2}\(servers\.fs\.denied_paths\[0\]\)/);
    assert.match(out, /Network \(through the egress proxy[^\n]*\n {2}\(none\)/);
    assert.match(out, /Give the server's command after --/);
    assert.doesNotMatch(out, /tok-secret/);
    // With the command: the exact bubblewrap launch, the file view in order.
    const withCmd = fakeIo({ cwd: dir, env: { HOME: "/home/u", PATH: "/usr/bin:/bin" } });
    assert.equal(
      await run(["sandbox", "explain", "--server", "fs", "--", "python3", "-m", "srv"], withCmd),
      0,
    );
    const o2 = withCmd.stdoutText();
    assert.match(o2, /Command:\n {2}\S*bwrap --die-with-parent/);
    assert.match(o2, /--unshare-all --cap-drop ALL/);
    assert.ok(o2.includes(`ro        ${dir}/proj/src  (servers.fs.allowed_paths[0])`), o2);
  });
});

Deno.test("sandbox explain with sandbox.mode deno prints the Deno command line and why each flag is there", async () => {
  await withPolicy(async (dir) => {
    const io = fakeIo({ cwd: dir, env: { HOME: "/home/u", PATH: "/usr/bin", API_TOKEN: "tok-secret" } });
    const code = await run(
      ["sandbox", "explain", "--server", "fsdeno", "--", "npx", "-y", FS, `${dir}/proj`],
      io,
    );
    assert.equal(code, 0, io.stderrText());
    const out = io.stdoutText();
    assert.match(out, /Server "fsdeno": contained \(Deno permission flags\)/);
    assert.ok(out.includes(`--allow-read=${dir}/proj/src --deny-read=/home/u/.ssh`), out);
    assert.match(out, /an allowed path \(servers\.fsdeno\.allowed_paths\[0\]\)/);
    assert.match(out, /\(no --allow-write, --allow-net, --allow-run\)/);
    assert.match(out, /Root ".*\/proj" is wider than the read grants; narrowed/);
    assert.ok(out.includes(`npm:${FS} ${dir}/proj/src`), out);
    assert.doesNotMatch(out, /tok-secret/);
  });
});

Deno.test("sandbox explain --format json gives the plan, and never the values of allowlisted secrets", async () => {
  await withPolicy(async (dir) => {
    const io = fakeIo({ cwd: dir, env: { HOME: "/home/u", API_TOKEN: "tok-secret" } });
    const code = await run(
      ["sandbox", "explain", "--server", "strict", "--format", "json", "--", "node", "server.js"],
      io,
    );
    assert.equal(code, 0, io.stderrText());
    const j = JSON.parse(io.stdoutText());
    assert.equal(j.mode, "broker");
    assert.equal(j.contained, true);
    assert.deepEqual(j.args.slice(-1), [`${dir}/server.js`]);
    assert.ok(j.envNames.includes("API_TOKEN") && j.envNames.includes("DENO_PERMISSION_BROKER_PATH"));
    assert.ok(
      j.flags.some((f: { flag: string; value: string }) => f.flag === "allow-env" && f.value === "API_TOKEN"),
    );
    assert.doesNotMatch(io.stdoutText(), /tok-secret/);
  });
});

Deno.test("sandbox explain exits 1 for a server the sandbox cannot contain, and 2 on usage errors", async () => {
  await withPolicy(async (dir) => {
    const docker = fakeIo({ cwd: dir, env: { HOME: "/home/u" } });
    assert.equal(
      await run(["sandbox", "explain", "--server", "fs", "--", "docker", "run", "-i", "mcp/git"], docker),
      1,
    );
    assert.match(docker.stdoutText(), /NOT contained/);
    assert.match(docker.stdoutText(), /runs the server in a container through its daemon/);
    const noServer = fakeIo({ cwd: dir, env: { HOME: "/home/u" } });
    assert.equal(await run(["sandbox", "explain", "--", "npx", FS], noServer), 2);
    const badFormat = fakeIo({ cwd: dir, env: { HOME: "/home/u" } });
    assert.equal(
      await run(["sandbox", "explain", "--server", "fs", "--format", "xml", "--", "npx", FS], badFormat),
      2,
    );
    const noCmd = fakeIo({ cwd: dir, env: { HOME: dir } });
    assert.equal(await run(["sandbox", "explain", "--server", "fs", "--config", dir], noCmd), 2);
    assert.match(noCmd.stderrText(), /No command given/);
  });
});

Deno.test("sandbox explain finds the server's command in a client config when none is given", async () => {
  await withPolicy(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/.mcp.json`,
      JSON.stringify({
        mcpServers: { fs: { command: "npx", args: ["-y", FS, "./proj/src"], env: { FOO: "1" } } },
      }),
    );
    const io = fakeIo({ cwd: dir, env: { HOME: dir, FOO: "1" } });
    const code = await run([
      "sandbox",
      "explain",
      "--server",
      "fs",
      "--config",
      `${dir}/.mcp.json`,
      "--format",
      "json",
    ], io);
    assert.equal(code, 0, io.stderrText());
    const j = JSON.parse(io.stdoutText());
    assert.equal(j.backend, "os");
    assert.ok(j.launch.args.includes("--unshare-all"), JSON.stringify(j.launch.args));
    assert.ok(j.profile.env.some((e: { value: string }) => e.value === "FOO"));
    assert.ok(j.launch.envNames.includes("FOO"));
  });
});
