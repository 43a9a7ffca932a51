import assert from "node:assert/strict";
import { join } from "node:path";
import { AgentPermsError } from "../errors.ts";
import { wireFile, type WireFileOptions } from "./wire_file.ts";
import { writeFileAtomic } from "./write_atomic.ts";

const FIX = new URL("../../tests/fixtures/clients/valid/", import.meta.url).pathname;
const SELF = ["/opt/agentperms"];
const NOW = new Date("2026-11-24T22:00:00Z");

async function tempDir(): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix: "agentperms-wirefile-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

function o(mode: WireFileOptions["mode"], extra: Partial<WireFileOptions> = {}): WireFileOptions {
  return { mode, self: SELF, now: NOW, ...extra };
}

Deno.test("wireFile() writes a backup before the first change only, then a timestamped one next time", async () => {
  await using dir = await tempDir();
  const file = join(dir.path, "mcp.json");
  const original = await Deno.readTextFile(join(FIX, "cline.json"));
  await Deno.writeTextFile(file, original);
  const cfg = { client: "cline" as const, file, format: "jsonc" as const };
  const r1 = await wireFile(cfg, o("record"));
  assert.equal(r1.backup, `${file}.agentperms.bak`);
  assert.equal(await Deno.readTextFile(r1.backup!), original);
  const r2 = await wireFile(cfg, o("enforce", { policy: "/p.yaml" }));
  assert.equal(r2.changed, true);
  assert.equal(r2.backup, undefined, "no backup while the file is already wired");
  const r3 = await wireFile(cfg, o("stop"));
  assert.equal(await Deno.readTextFile(file), original);
  assert.equal(r3.backup, undefined);
  const r4 = await wireFile(cfg, o("record"));
  assert.equal(r4.backup, `${file}.agentperms.2026-11-24T22-00-00-000Z.bak`);
  const none = await wireFile(cfg, o("record"));
  assert.equal(none.changed, false);
});

Deno.test("wireFile() leaves the original intact and no temp file when the rename fails, in every format", async () => {
  for (
    const [fixture, client, format] of [
      ["gemini.json", "gemini", "jsonc"],
      ["codex.toml", "codex", "toml"],
      ["continue.yaml", "continue", "yaml"],
    ] as const
  ) {
    await using dir = await tempDir();
    const file = join(dir.path, fixture);
    const original = await Deno.readTextFile(join(FIX, fixture));
    await Deno.writeTextFile(file, original);
    await assert.rejects(
      () =>
        wireFile(
          { client, file, format },
          o("record", {
            rename: () => Promise.reject(new Error("disk full")),
          }),
        ),
      (e) => e instanceof AgentPermsError && e.code === "io_failed" && /disk full/.test(e.message),
    );
    assert.equal(await Deno.readTextFile(file), original, fixture);
    const left = [...Deno.readDirSync(dir.path)].map((e) => e.name).filter((n) => n.endsWith(".tmp"));
    assert.deepEqual(left, [], fixture);
  }
});

Deno.test("writeFileAtomic() keeps the file mode", { ignore: Deno.build.os === "windows" }, async () => {
  await using dir = await tempDir();
  const file = join(dir.path, "c.json");
  await Deno.writeTextFile(file, "{}");
  await Deno.chmod(file, 0o600);
  await writeFileAtomic(file, '{"a":1}');
  assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
  assert.equal(await Deno.readTextFile(file), '{"a":1}');
});

Deno.test("writeFileAtomic() writes through a symlinked config and keeps the link", {
  ignore: Deno.build.os === "windows",
}, async () => {
  await using dir = await tempDir();
  const real = join(dir.path, "dotfiles-mcp.json");
  const link = join(dir.path, "mcp.json");
  await Deno.writeTextFile(real, "{}");
  await Deno.symlink(real, link);
  await writeFileAtomic(link, '{"b":2}');
  assert.ok((await Deno.lstat(link)).isSymlink);
  assert.equal(await Deno.readTextFile(real), '{"b":2}');
});

Deno.test("wireFile() writes its backup 0600 whatever the config's mode (it holds the config's tokens)", async () => {
  await using dir = await tempDir();
  const file = join(dir.path, "mcp.json");
  await Deno.writeTextFile(file, await Deno.readTextFile(join(FIX, "cline.json")));
  await Deno.chmod(file, 0o644);
  const r = await wireFile({ client: "cline" as const, file, format: "jsonc" as const }, o("record"));
  assert.ok(r.backup);
  assert.equal((await Deno.stat(r.backup!)).mode! & 0o777, 0o600);
  assert.equal((await Deno.stat(file)).mode! & 0o777, 0o644, "the config keeps its own mode");
});
