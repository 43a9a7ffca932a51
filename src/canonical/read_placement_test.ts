import assert from "node:assert/strict";
import { isAnchoredPath, readEmbeddedJson, splitPathList } from "./read_placement.ts";

Deno.test("splitPathList() splits at , ; newlines and : but not drive letters, schemes or line numbers", () => {
  assert.deepEqual(splitPathList("a,/etc/x"), ["a", "/etc/x"]);
  assert.deepEqual(splitPathList("src:/etc\n~/.ssh"), ["src", "/etc", "~/.ssh"]);
  assert.deepEqual(splitPathList("C:\\a;D:/b"), ["C:\\a", "D:/b"]);
  // A drive after a Windows device prefix is no separator either.
  assert.deepEqual(splitPathList("\\\\?\\C:\\a;\\??\\D:\\b"), ["\\\\?\\C:\\a", "\\??\\D:\\b"]);
  assert.deepEqual(splitPathList("./a.ts:12:5"), []);
  assert.deepEqual(splitPathList("file:///etc/x"), []);
  assert.deepEqual(splitPathList("plain"), []);
});

Deno.test("readEmbeddedJson() reads objects and arrays within the budget only", () => {
  const budget = { chars: 100 };
  assert.deepEqual(readEmbeddedJson(' {"a": 1} ', budget), { a: 1 });
  assert.equal(readEmbeddedJson("[draft]", budget), undefined);
  assert.equal(readEmbeddedJson(`[${"1,".repeat(60)}1]`, budget), undefined);
  assert.equal(isAnchoredPath("~/x") && isAnchoredPath("C:\\x") && !isAnchoredPath("a/b"), true);
});
