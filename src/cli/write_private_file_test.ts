import assert from "node:assert/strict";
import { join } from "node:path";
import { writePrivateFile } from "./write_private_file.ts";

const mode = (p: string) => Deno.statSync(p).mode! & 0o777;

Deno.test({
  name:
    "writePrivateFile() writes 0600 in new 0700 folders, also over a 0644 file, and keeps existing folders",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      Deno.chmodSync(dir, 0o755);
      const file = join(dir, "a/b/report.html");
      await writePrivateFile(file, "one");
      assert.equal(Deno.readTextFileSync(file), "one");
      assert.equal(mode(file), 0o600);
      assert.equal(mode(join(dir, "a")), 0o700);
      assert.equal(mode(join(dir, "a/b")), 0o700);
      assert.equal(mode(dir), 0o755, "a folder that existed is the user's");
      const old = join(dir, "mcp.lock");
      Deno.writeTextFileSync(old, "old", { mode: 0o644 });
      Deno.chmodSync(old, 0o644);
      await writePrivateFile(old, "new");
      assert.equal(Deno.readTextFileSync(old), "new");
      assert.equal(mode(old), 0o600);
      assert.deepEqual(
        [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
        ["a", "mcp.lock"],
        "no temp file left",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
