import assert from "node:assert/strict";
import { join } from "node:path";
import { claimAuditFile } from "./claim_audit_file.ts";

Deno.test({
  name:
    "claimAuditFile() creates the log 0600 and locked, removes it on release, and sweeps only dead empty logs",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const names = () => [...Deno.readDirSync(dir)].map((e) => e.name).sort();
      // Left by proxies killed with SIGKILL: an empty log (nothing to learn) and one with accesses (infer's).
      Deno.writeTextFileSync(join(dir, "fs.aaaaaaaaaaaa.permissions.jsonl"), "");
      Deno.writeTextFileSync(join(dir, "fs.bbbbbbbbbbbb.permissions.jsonl"), '{"v":1}\n');
      const live = claimAuditFile(join(dir, "fs.cccccccccccc.permissions.jsonl"))!;
      assert.deepEqual(names(), ["fs.bbbbbbbbbbbb.permissions.jsonl", "fs.cccccccccccc.permissions.jsonl"]);
      assert.equal(Deno.statSync(join(dir, "fs.cccccccccccc.permissions.jsonl")).mode! & 0o777, 0o600);
      // A second proxy starting now must not take the live (empty, locked) log of the first.
      const other = claimAuditFile(join(dir, "fs.dddddddddddd.permissions.jsonl"))!;
      assert.ok(names().includes("fs.cccccccccccc.permissions.jsonl"), "a live proxy's empty log stays");
      other.release();
      live.release();
      assert.deepEqual(names(), ["fs.bbbbbbbbbbbb.permissions.jsonl"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
