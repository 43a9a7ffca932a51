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
  const cached = checkRealpath({ base: rp, listings: false });
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
  const cached = checkRealpath({ base: rp, maxEntries: 2, listings: false });
  cached("/a");
  cached("/b");
  cached("/c"); // clears, keeps /c
  cached("/c");
  cached("/a");
  assert.deepEqual(asked, ["/a", "/b", "/c", "/a"]);
});

Deno.test("checkRealpath() proves names absent from a listed folder without asking the host", () => {
  const { rp, asked } = countingRealpath();
  const listed: string[] = [];
  const dirs: Record<string, string[]> = { "/w": ["src", "Docs"], "/u": ["caf\u00e9"] };
  const cached = checkRealpath({
    base: rp,
    listings: true,
    readDir: (d) => {
      listed.push(d);
      if (!(d in dirs)) throw new Error("ENOENT");
      return dirs[d]!.map((name) => ({ name }));
    },
  });
  for (let i = 0; i < 10; i++) cached(`/w/missing${i}`);
  // The first three go to the host; the fourth lists /w, and from then on a missing name costs nothing.
  assert.deepEqual(asked, ["/w/missing0", "/w/missing1", "/w/missing2"]);
  assert.deepEqual(listed.filter((d) => d === "/w"), ["/w"]); // once ("/" is listed too, on the way)
  // Below a proven-absent folder everything is absent too.
  cached("/w/missing9/deeper/x");
  assert.equal(asked.length, 3);
  // A name the listing holds, in any ASCII case, goes to the host (a case-insensitive volume may open it).
  cached("/w/DOCS");
  cached("/w/src/../x");
  assert.deepEqual(asked.slice(3), ["/w/DOCS", "/w/src/../x"]);
  // A folder with a non-ASCII name proves nothing, nor does a non-ASCII name.
  for (let i = 0; i < 6; i++) cached(`/u/x${i}`);
  for (let i = 0; i < 6; i++) cached(`/w/caf\u00e9${i}`);
  assert.equal(asked.length, 5 + 6 + 6);
});
