import assert from "node:assert/strict";
import { coverPaths } from "./cover_paths.ts";

const home = "/home/dev";
const cover = (paths: string[], minEntries?: number) =>
  coverPaths(new Map(paths.map((p) => [p, 1])), { home, minEntries }).map((e) => e.path);

Deno.test("coverPaths() keeps a file seen alone as that file", () => {
  assert.deepEqual(cover(["/srv/app/src/main.ts"]), ["/srv/app/src/main.ts"]);
});

Deno.test("coverPaths() generalizes a directory only when enough distinct entries under it were used", () => {
  assert.deepEqual(cover(["/srv/app/src/a.ts", "/srv/app/src/b.ts"]), [
    "/srv/app/src/a.ts",
    "/srv/app/src/b.ts",
  ]);
  assert.deepEqual(cover(["/srv/app/src/a.ts", "/srv/app/src/b.ts", "/srv/app/src/c.ts"]), ["/srv/app/src"]);
  assert.deepEqual(cover(["/srv/app/src/a.ts", "/srv/app/src/b.ts"], 2), ["/srv/app/src"]);
});

Deno.test("coverPaths() never widens to /, a top-level directory or the home directory", () => {
  assert.deepEqual(cover(["/a.md", "/b.md", "/c.md"]), ["/a.md", "/b.md", "/c.md"]);
  assert.deepEqual(cover(["/tmp/a", "/tmp/b", "/tmp/c"]), ["/tmp/a", "/tmp/b", "/tmp/c"]);
  assert.deepEqual(cover([`${home}/a`, `${home}/b`, `${home}/c`]), [`${home}/a`, `${home}/b`, `${home}/c`]);
  assert.deepEqual(cover(["/home/x", "/home/y", "/home/z"]), ["/home/x", "/home/y", "/home/z"]);
});

Deno.test("coverPaths() counts only entries directly under a directory: a lone file never widens its folder's parent", () => {
  const got = cover(["/p/src/a/x.ts", "/p/src/b/y.ts", "/p/src/c/z.ts", "/p/README.md"]);
  assert.deepEqual(got, ["/p/README.md", "/p/src/a/x.ts", "/p/src/b/y.ts", "/p/src/c/z.ts"]);
  // The coding trace: a README at the workspace root, one guide under docs and three sources under src.
  const coding = cover(["/p/README.md", "/p/docs/guide.md", "/p/src/a.ts", "/p/src/b.ts", "/p/src/c.ts"]);
  assert.deepEqual(coding, ["/p/README.md", "/p/docs/guide.md", "/p/src"]);
});

Deno.test("coverPaths() widens level by level when every level has its own evidence", () => {
  const got = cover([
    ...["a", "b", "c"].map((f) => `/p/src/ui/${f}.ts`),
    ...["a", "b", "c"].map((f) => `/p/src/api/${f}.ts`),
    "/p/src/index.ts",
  ]);
  assert.deepEqual(got, ["/p/src"]);
});

Deno.test("coverPaths() absorbs entries under a used directory and respects separator boundaries", () => {
  const r = coverPaths(new Map([["/p/src", 2], ["/p/src/a.ts", 3], ["/p/src-private/k", 1]]), { home });
  assert.deepEqual(r.map((e) => [e.path, e.calls, e.distinct]), [["/p/src", 5, 2], [
    "/p/src-private/k",
    1,
    1,
  ]]);
  assert.deepEqual(r[0]!.examples, ["/p/src", "/p/src/a.ts"]);
});

Deno.test("coverPaths() never widens to a root (a working folder), however much under it was used", () => {
  const used = [
    "/w/p/README.md",
    "/w/p/docs/a.md",
    "/w/p/docs/b.md",
    "/w/p/docs/c.md",
    "/w/p/src/a.ts",
    "/w/p/src/b.ts",
    "/w/p/src/c.ts",
  ];
  assert.deepEqual(cover(used), ["/w/p"], "without roots the evidence widens to the folder");
  const got = coverPaths(new Map(used.map((p) => [p, 1])), { home, roots: ["/w/p/"] }).map((e) => e.path);
  assert.deepEqual(got, ["/w/p/README.md", "/w/p/docs", "/w/p/src"]);
});
