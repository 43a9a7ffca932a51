import assert from "node:assert/strict";
import { hostRealpath } from "./host_realpath.ts";

Deno.test("hostRealpath.forCall() answers as hostRealpath does: files, folders, missing paths, dangling link chains, loops", () => {
  const root = Deno.realPathSync(Deno.makeTempDirSync());
  try {
    Deno.mkdirSync(`${root}/real/sub`, { recursive: true });
    Deno.writeTextFileSync(`${root}/real/sub/f.txt`, "x");
    Deno.symlinkSync(`${root}/real`, `${root}/link`);
    Deno.symlinkSync(`${root}/nowhere/x`, `${root}/dangling`);
    Deno.symlinkSync(`${root}/dangling`, `${root}/chain`);
    Deno.symlinkSync(`${root}/loop-b`, `${root}/loop-a`);
    Deno.symlinkSync(`${root}/loop-a`, `${root}/loop-b`);
    Deno.symlinkSync("sub/new.txt", `${root}/real/relative`);
    const paths = [
      root,
      `${root}/real/sub/f.txt`,
      `${root}/link/sub/f.txt`,
      `${root}/link/sub/missing/deeper`,
      `${root}/missing`,
      `${root}/missing/a/b`,
      `${root}/dangling`,
      `${root}/chain`,
      `${root}/chain/below`,
      `${root}/loop-a`,
      `${root}/loop-a/x`,
      `${root}/real/relative`,
      "/",
    ];
    const call = hostRealpath.forCall!();
    // Twice, in two orders, so the second answers come from the call's shared look-ups.
    for (const p of [...paths, ...paths.toReversed()]) assert.equal(call(p), hostRealpath(p), p);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
