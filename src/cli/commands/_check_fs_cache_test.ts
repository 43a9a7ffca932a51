import assert from "node:assert/strict";
import type { HostRealpath } from "../../canonical/mod.ts";
import { checkRealpath } from "./_check_fs_cache.ts";

function countingRealpath(): { rp: HostRealpath; asked: string[]; homes: string[] } {
  const asked: string[] = [];
  const homes: string[] = [];
  const rp = Object.assign((abs: string) => {
    asked.push(abs);
    return abs.startsWith("/real") ? abs : undefined;
  }, {
    userHome: (name: string) => {
      homes.push(name);
      return name === "root" ? "/root" : undefined;
    },
  });
  return { rp, asked, homes };
}

Deno.test("checkRealpath() looks each path up once per run, a missing one included", () => {
  const { rp, asked, homes } = countingRealpath();
  const cached = checkRealpath(rp);
  for (let i = 0; i < 3; i++) {
    assert.equal(cached("/missing/x"), undefined);
    assert.equal(cached("/real/y"), "/real/y");
    assert.equal(cached.userHome("nobody"), undefined);
    assert.equal(cached.userHome("root"), "/root");
  }
  assert.deepEqual(asked, ["/missing/x", "/real/y"]);
  assert.deepEqual(homes, ["nobody", "root"]);
});

Deno.test("checkRealpath() starts over when full, and still answers", () => {
  const { rp, asked } = countingRealpath();
  const cached = checkRealpath(rp, 2);
  cached("/a");
  cached("/b");
  cached("/c"); // clears, keeps /c
  cached("/c");
  cached("/a");
  assert.deepEqual(asked, ["/a", "/b", "/c", "/a"]);
});
