import assert from "node:assert/strict";
import { canonicalizeCall } from "./canonicalize_call.ts";
import { resolvePath } from "./resolve_path.ts";
import {
  foldWindowsCase,
  hasTrimmedName,
  isLoopbackHost,
  isWindowsShaped,
  trimEndOf,
} from "./windows_path.ts";

/** A server on Windows: its working folder and home are Windows folders. */
const W = { cwd: "C:\\Users\\dev\\project", home: "C:\\Users\\dev" };
const P = { cwd: "/proj", home: "/home/u" };

Deno.test("resolvePath() on Windows reads every value as Windows does, and no POSIX reading", () => {
  assert.deepEqual(resolvePath("src\\a.ts", W).forms, ["/c:/users/dev/project/src/a.ts"]);
  // Root-relative is on the current drive.
  assert.deepEqual(resolvePath("\\Windows\\System32", W).forms, ["/c:/windows/system32"]);
  assert.deepEqual(resolvePath("/etc/passwd", W).forms, ["/c:/etc/passwd"]);
  assert.deepEqual(resolvePath("~\\.ssh\\id_rsa", W).forms, ["/c:/users/dev/.ssh/id_rsa"]);
  // `C:x` is relative to the working folder when C: is its drive.
  assert.deepEqual(resolvePath("C:src\\a.ts", W).forms, ["/c:/users/dev/project/src/a.ts"]);
  // The explicit option turns it on for a POSIX working folder too (a Windows policy judged here).
  assert.deepEqual(resolvePath("C:\\x\\..\\Y", { ...P, windows: true }).forms, ["/c:/y"]);
});

Deno.test("resolvePath() maps device prefixes and loopback admin shares to the one path they open", () => {
  for (
    const v of [
      "\\\\?\\C:\\Users\\dev\\project\\a.ts",
      "\\\\.\\C:\\Users\\dev\\project\\a.ts",
      "\\??\\c:\\users\\dev\\project\\a.ts",
      "\\\\?\\UNC\\localhost\\C$\\Users\\dev\\project\\a.ts",
      "\\\\127.0.0.1\\c$\\Users\\dev\\project\\a.ts",
      "\\\\[::1]\\c$\\Users\\dev\\project\\a.ts",
    ]
  ) {
    const r = resolvePath(v, W);
    assert.ok(r.forms.includes("/c:/users/dev/project/a.ts"), `${v}: ${JSON.stringify(r.forms)}`);
    assert.ok(
      r.forms.every((f) => f.startsWith("/c:/users/dev/project/")),
      `${v}: ${JSON.stringify(r.forms)}`,
    );
    assert.equal(r.unproven, undefined, v);
  }
  // A file: URL's host is a UNC host to Windows (Python drops it: `\\C$\\…` on the current drive, judged too).
  assert.ok(resolvePath("file://127.1/C$/Users/dev/x", W).forms.includes("/c:/users/dev/x"));
  // Another host's admin share may be this machine under its own name: both readings.
  assert.deepEqual(resolvePath("\\\\PC\\D$\\x", W).forms, ["/unc:/pc/d$/x", "/d:/x"]);
  assert.deepEqual(resolvePath("\\\\srv\\share\\..\\..\\x", W).forms, ["/unc:/srv/share/x"]);
});

Deno.test("resolvePath() marks what no path stands for as unproven", () => {
  for (
    const v of [
      "\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy1\\Windows\\System32\\config\\SAM",
      "\\\\.\\PhysicalDrive0",
      "\\\\?\\Volume{3f2504e0-4f89-11d3-9a0c-0305e82c3301}\\x",
      "\\\\localhost\\docs\\x",
      "D:x",
    ]
  ) {
    assert.notEqual(resolvePath(v, W).unproven, undefined, v);
  }
  assert.equal(resolvePath("\\\\fileserver\\docs\\x", W).unproven, undefined);
  // On a POSIX platform only Windows-shaped values are read the Windows way: `D:x` is a name here.
  assert.equal(resolvePath("D:x", P).unproven, undefined);
  assert.notEqual(resolvePath("D:..\\x", P).unproven, undefined);
  const call = canonicalizeCall({ server: "s", tool: "t", arguments: { path: "\\\\.\\PhysicalDrive0" } }, W);
  assert.match(call.unproven[0]?.reason ?? "", /PhysicalDrive0/);
});

Deno.test("resolvePath() cuts streams, trailing dots and spaces, and keeps the literal name beside", () => {
  assert.deepEqual(resolvePath("C:\\p\\.env:secret", P).forms, ["/c:/p/.env:secret", "/c:/p/.env"]);
  assert.deepEqual(resolvePath("C:\\p\\dir::$INDEX_ALLOCATION\\k", W).forms, [
    "/c:/p/dir/k",
    "/c:/p/dir::$index_allocation/k",
  ]);
  assert.ok(resolvePath("C:\\Users\\dev\\.ssh. .\\id", P).forms.includes("/c:/users/dev/.ssh/id"));
});

Deno.test("resolvePath() reads an 8.3 short name as every name it may abbreviate", () => {
  assert.deepEqual(resolvePath("C:\\Users\\dev\\SSH~1\\id_rsa", P).forms, [
    "/c:/users/dev/ssh~1/id_rsa",
    "/c:/users/dev/ssh/id_rsa",
    "/c:/users/dev/.ssh/id_rsa",
    "/c:/users/dev/*s*s*h*/id_rsa",
  ]);
  // A hashed short name keeps only its first letters; the extension's first letters stay.
  assert.ok(resolvePath("C:\\x\\CR1A2B~1.PEM", W).forms.includes("/c:/x/*c*r*.p*e*m*"));
  // A POSIX value is no short name.
  assert.deepEqual(resolvePath("/home/u/SSH~1/id", P).forms, ["/home/u/SSH~1/id"]);
});

Deno.test("resolvePath() reads best-fit characters as the separators a code page makes of them", () => {
  for (const sep of ["\u2215", "\u2216", "\u00a5", "\u20a9", "\uff0f", "\uff3c"]) {
    const v = `C:${sep}Users${sep}dev${sep}.ssh`;
    assert.ok(resolvePath(v, P).forms.includes("/c:/users/dev/.ssh"), v);
  }
  assert.equal(isWindowsShaped("price\u00a5list"), true);
  assert.equal(isWindowsShaped("/home/u/a.txt"), false);
});

Deno.test("isLoopbackHost() knows every loopback spelling a UNC host can have", () => {
  for (
    const h of [
      "localhost",
      "LOCALHOST.",
      "127.0.0.1",
      "127.1",
      "2130706433",
      "0x7f.1",
      "[::1]",
      "0--1.ipv6-literal.net",
    ]
  ) {
    assert.equal(isLoopbackHost(h), true, h);
  }
  for (const h of ["fileserver", "10.0.0.1", "127.example.com", "::2"]) {
    assert.equal(isLoopbackHost(h), false, h);
  }
});

Deno.test("foldWindowsCase() folds as NTFS compares names: K and the Kelvin sign stay apart", () => {
  assert.equal(foldWindowsCase("/C:/Users/DEV"), "/c:/users/dev");
  assert.equal(foldWindowsCase("/c:/\u00c9t\u00e9"), foldWindowsCase("/c:/\u00e9T\u00c9"));
  assert.notEqual(foldWindowsCase("/c:/wor\u212a"), foldWindowsCase("/c:/work"));
  assert.equal(foldWindowsCase("/c:/stra\u00dfe"), "/c:/stra\u00dfe");
});

Deno.test("a Windows policy on a Windows server allows what the POSIX reading would have refused", async () => {
  const { compilePolicy, parsePolicy } = await import("../policy/mod.ts");
  const { decide } = await import("../decision/mod.ts");
  const yaml = "version: 1\nservers:\n  w:\n    allowed_paths: ['.', '\\\\fileserver\\public']\n" +
    "    denied_paths: ['~\\.ssh']\n";
  const policy = compilePolicy(parsePolicy(yaml, { file: "p.yaml" }).policy, {
    baseDir: W.cwd,
    home: W.home,
  });
  const verdict = (path: string) =>
    decide(policy, canonicalizeCall({ server: "w", tool: "read", arguments: { path } }, W)).verdict;
  for (
    const ok of [
      "src\\a.ts",
      "\\\\?\\C:\\Users\\dev\\project\\a.ts",
      "\\\\localhost\\c$\\Users\\DEV\\Project\\a.ts",
      "\\\\FileServer\\Public\\report.docx",
      "\\Users\\dev\\project\\a.ts",
    ]
  ) assert.equal(verdict(ok), "allow", ok);
  for (
    const bad of [
      "..\\.ssh\\id_rsa",
      "\\\\?\\UNC\\127.1\\C$\\Users\\dev\\SSH~1\\id_rsa",
      "C:\\Users\\dev\\PROJEC~1\\x",
      "\\\\.\\PhysicalDrive0",
      "/etc/passwd",
    ]
  ) assert.equal(verdict(bad), "deny", bad);
});

Deno.test("hasTrimmedName() and trimEndOf() find the names Win32 shortens, in one pass", () => {
  for (const p of ["/x/key.pem.", "/x/src /y", "/x/.. ", "/x/. ./y"]) {
    assert.equal(hasTrimmedName(p, false), true, p);
  }
  for (const p of ["/x/./y", "/x/../y", "/x/...", "/x/. ", "/x/a:b"]) {
    assert.equal(hasTrimmedName(p, false), false, p);
  }
  assert.equal(hasTrimmedName("/x/a:b", true), true);
  assert.equal(hasTrimmedName("/c:/x", true), false);
  assert.equal(trimEndOf("a. . ", ". "), "a");
  assert.equal(trimEndOf("...", "."), "");
  assert.equal(trimEndOf("abc", ". "), "abc");
});

Deno.test("resolvePath() expands the usual Windows variables and marks others unproven", () => {
  assert.ok(resolvePath("%SystemRoot%\\System32", W).forms.includes("/c:/windows/system32"));
  assert.ok(resolvePath("%APPDATA%\\..\\..\\.ssh", W).forms.includes("/c:/users/dev/.ssh"));
  assert.ok(resolvePath("%HOMEDRIVE%%HOMEPATH%\\.ssh", W).forms.includes("/c:/users/dev/.ssh"));
  assert.ok(resolvePath("%ProgramFiles(x86)%\\App", W).forms.includes("/c:/program files (x86)/app"));
  assert.notEqual(resolvePath("C:\\%PAYLOAD%\\x", W).unproven, undefined);
  assert.equal(resolvePath("C:\\caf%C3%A9.txt", W).unproven, undefined);
  // A POSIX value is no Windows value: `%FOO%/x` stays a literal name.
  assert.deepEqual(resolvePath("%FOO%/x", P).forms, ["/proj/%FOO%/x"]);
});
