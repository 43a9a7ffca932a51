import assert from "node:assert/strict";
import { fileTraceToEvents, straceArgs } from "./file_trace.ts";

const LOG = `12    openat(AT_FDCWD, "/usr/lib/x86_64-linux-gnu/libc.so.6", O_RDONLY|O_CLOEXEC) = 3
12    openat(AT_FDCWD, "/w/src/a.ts", O_RDONLY|O_CLOEXEC) = 5
13    openat(AT_FDCWD, "/w/src/a.ts", O_RDONLY) = 6
13    openat(AT_FDCWD, "out/b.txt", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 7
13    rename("/w/out/b.tmp", "/w/out/b.txt") = 0
13    openat(AT_FDCWD, "/opt/rt/node_modules/x/index.js", O_RDONLY) = 8
13    openat(AT_FDCWD, "/w/sp\\303\\251cial \\"q\\".txt", O_RDONLY) = 9
13    +++ exited with 0 +++
`;

Deno.test("fileTraceToEvents() counts reads and writes per path, leaving out the runtime's folders", () => {
  const evs = fileTraceToEvents(LOG, {
    cwd: "/w",
    ignore: ["/opt/rt"],
    base: { sessionId: "s", server: "fs", mode: "record" },
    time: "2026-12-07T00:00:00.000Z",
  });
  const got = evs.map((e) => `${e.permission} ${e.value} ${e.count}`).sort();
  assert.deepEqual(got, [
    'read /w/spécial "q".txt 1', // octal escapes are UTF-8 bytes
    "read /w/src/a.ts 2",
    "write /w/out/b.tmp 1",
    "write /w/out/b.txt 2",
  ]);
  assert.ok(evs.every((e) => e.kind === "containment" && e.source === "syscall" && e.server === "fs"));
  assert.deepEqual(straceArgs("/usr/bin/strace", "/t/l").slice(-3), ["-o", "/t/l", "--"]);
});
