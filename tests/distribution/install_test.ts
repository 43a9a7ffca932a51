// docs/install.md's `deno install` path, as a new user runs it: from the clone, into a fresh HOME (so into
// `~/.deno/bin` and an empty Deno cache), then `agentperms --version` and `agentperms doctor` from a folder
// outside the clone, through PATH. The release binary needs `deno compile`'s denort runtime, which only
// dl.deno.land serves: that path runs only where DENORT_BIN points at one (docs/install.md §5).
import assert from "node:assert/strict";
import { join } from "node:path";
import denoJson from "../../deno.json" with { type: "json" };
import { assertVersionAndDoctor, freshUser, ROOT } from "./_fresh_user.ts";

Deno.test("deno install --global from the clone gives an agentperms that runs --version and doctor from anywhere", async () => {
  await using user = await freshUser();
  const install = await user.run(
    Deno.execPath(),
    ["install", "--global", "-A", "--name", "agentperms", "--config", "deno.json", "cli.ts"],
    { cwd: ROOT },
  );
  assert.equal(install.code, 0, install.stderr);
  const bin = join(user.home, ".deno", "bin");
  assert.ok(Deno.statSync(join(bin, "agentperms")).isFile, "installed into the user's ~/.deno/bin");
  await assertVersionAndDoctor(user, ["agentperms"], denoJson.version, { extraPath: [bin] });
});

Deno.test({
  name: "deno task compile gives a binary that runs --version and doctor from anywhere (needs DENORT_BIN)",
  ignore: Deno.env.get("DENORT_BIN") === undefined,
  fn: async () => {
    await using user = await freshUser();
    const out = join(user.work, "bin", "agentperms");
    const args = denoJson.tasks.compile.split(" ").slice(1).map((a) => (a === "dist/agentperms" ? out : a));
    const built = await new Deno.Command(Deno.execPath(), {
      args,
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(300_000),
    }).output();
    assert.equal(built.code, 0, new TextDecoder().decode(built.stderr));
    await assertVersionAndDoctor(user, ["agentperms"], denoJson.version, {
      extraPath: [join(user.work, "bin")],
    });
  },
});
