import assert from "node:assert/strict";
import { hostRealpath } from "./host_realpath.ts";
import { isWithin, normalizeAbsolute, resolvePath } from "./resolve_path.ts";

const O = { cwd: "/proj", home: "/home/u" };

Deno.test("resolvePath() expands ~, $HOME, ${HOME} and %USERPROFILE%", () => {
  for (const p of ["~/.ssh/id", "$HOME/.ssh/id", "${HOME}/.ssh/id", "%USERPROFILE%\\.ssh\\id"]) {
    assert.ok(resolvePath(p, O).forms.includes("/home/u/.ssh/id"), p);
  }
  // ~user keeps its literal reading and adds the other user's home (shells and Python expand it).
  assert.deepEqual(resolvePath("~user/x", O).forms, ["/proj/~user/x", "/home/user/x"]);
});

Deno.test("resolvePath() reads file:// URIs and percent-encoding", () => {
  assert.deepEqual(resolvePath("file:///etc/pass%77d", O).forms, ["/etc/passwd"]);
  assert.deepEqual(resolvePath("file://localhost/etc/x", O).forms, ["/etc/x"]);
  // A drive form is compared as Windows compares names (case-insensitively), `/C:/Users/x` (POSIX) with it.
  assert.deepEqual(resolvePath("FILE:///C:/Users/x", O).forms, ["/c:/users/x"]);
  // A percent sequence outside a URI keeps both readings: the literal and the decoded one.
  assert.deepEqual(resolvePath("a%2fb", O).forms, ["/proj/a%2fb", "/proj/a/b"]);
});

Deno.test("resolvePath() normalizes dots, separators, trailing dots and NTFS streams", () => {
  assert.deepEqual(resolvePath("./a/../b//c/./d/", O).forms, ["/proj/b/c/d"]);
  // Windows drops trailing dots and streams; POSIX opens the literal name: both readings are judged.
  assert.deepEqual(resolvePath("/x/key.pem. ", O).forms, ["/x/key.pem", "/x/key.pem."]);
  assert.deepEqual(resolvePath("/x/key.pem::$DATA", O).forms, ["/x/key.pem", "/x/key.pem::$DATA"]);
  assert.ok(resolvePath("a\\..\\..\\etc", O).forms.includes("/etc"));
  assert.deepEqual(resolvePath("/../../..", O).forms, ["/"]);
});

Deno.test("resolvePath() folds fullwidth forms and flags NUL bytes", () => {
  assert.ok(resolvePath("～／.ssh／id", O).forms.includes("/home/u/.ssh/id"));
  assert.equal(resolvePath("a\0b", O).nul, true);
  assert.equal(resolvePath("ab", O).nul, false);
});

Deno.test("isWithin() tests containment on a separator boundary", () => {
  assert.equal(isWithin("/src/a", "/src"), true);
  assert.equal(isWithin("/src", "/src"), true);
  assert.equal(isWithin("/src-private/a", "/src"), false);
  assert.equal(isWithin("/srcx", "/src"), false);
  assert.equal(isWithin("/anything", "/"), true);
});

Deno.test("normalizeAbsolute() keeps the root", () => {
  assert.equal(normalizeAbsolute("/"), "/");
  assert.equal(normalizeAbsolute("//"), "/");
});

Deno.test("resolvePath() judges a symlink by its target (realpath of the deepest existing ancestor)", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir());
  try {
    await Deno.mkdir(`${dir}/allowed`);
    await Deno.mkdir(`${dir}/secret`);
    await Deno.writeTextFile(`${dir}/secret/s.txt`, "SECRET");
    await Deno.symlink(`${dir}/secret/s.txt`, `${dir}/allowed/link`);
    await Deno.symlink(`${dir}/secret`, `${dir}/allowed/dirlink`);
    const opts = { cwd: dir, home: "/home/u", realpath: hostRealpath };
    assert.deepEqual(resolvePath("allowed/link", opts).forms, [`${dir}/allowed/link`, `${dir}/secret/s.txt`]);
    // A new file under a symlinked directory: the parent is resolved.
    assert.deepEqual(resolvePath("allowed/dirlink/new.txt", opts).forms, [
      `${dir}/allowed/dirlink/new.txt`,
      `${dir}/secret/new.txt`,
    ]);
    assert.deepEqual(resolvePath("allowed/plain.txt", opts).forms, [`${dir}/allowed/plain.txt`]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolvePath() reads /proc/<pid> links and /dev/fd without a realpath", () => {
  assert.ok(resolvePath("/proc/self/root/etc/passwd", O).forms.includes("/etc/passwd"));
  assert.ok(resolvePath("/proc/1/root", O).forms.includes("/"));
  assert.match(resolvePath("/proc/self/cwd/.env", O).unproven ?? "", /server's process/);
  assert.ok(resolvePath("/proc/self/cwd/.env", O).forms.includes("/proj/.env"));
  assert.match(resolvePath("/dev/fd/3", O).unproven ?? "", /open file/);
  assert.match(resolvePath("/proc/self/root/../etc/x", O).unproven ?? "", /above a link/);
  for (const p of ["/dev/fd/1", "/proc/self/fd/2", "/proc/cpuinfo", "/proc/self/status"]) {
    assert.equal(resolvePath(p, O).unproven, undefined, p);
  }
});

Deno.test("resolvePath() reads an exact name with its spaces, a decoded localhost and Python's relative file:", () => {
  assert.deepEqual(resolvePath("/k ", O).forms, ["/k"]);
  assert.deepEqual(resolvePath("/k ", { ...O, exact: true }).forms, ["/k", "/k "]);
  assert.deepEqual(resolvePath("file://%6C%6F%63%61%6C%68%6F%73%74/proj/a", O).forms, ["/proj/a"]);
  assert.ok(resolvePath("file:~/.ssh/k", O).forms.includes("/proj/~/.ssh/k"));
  // A user the password database does not know: no reading is certain.
  const known = (n: string) => n === "root" ? "/root" : undefined;
  assert.match(resolvePath("~nobody-here/x", { ...O, userHome: known }).unproven ?? "", /not known/);
  assert.equal(resolvePath("~root/x", { ...O, userHome: known }).unproven, undefined);
});
