import { isWithin, normalizeAbsolute } from "../canonical/mod.ts";
import type { TraceEventV1 } from "../trace/mod.ts";

/** The system calls `strace` records in record mode: opens and every call that changes the file tree. */
export const TRACED_SYSCALLS =
  "open,openat,openat2,creat,truncate,mkdir,mkdirat,rmdir,unlink,unlinkat,rename,renameat,renameat2,link,linkat,symlink,symlinkat";

/** Folders whose accesses say nothing about a server's needs (the runtime's own, the kernel's). */
const NOISE = [
  "/usr",
  "/lib",
  "/lib32",
  "/lib64",
  "/libx32",
  "/bin",
  "/sbin",
  "/etc",
  "/proc",
  "/dev",
  "/sys",
  "/run",
  // bubblewrap's own set-up (strace runs around it): the new root before pivot_root, and the old one after.
  "/newroot",
  "/oldroot",
];
/** bubblewrap's own names while it builds the sandbox (relative to its scratch folder, or absolute). */
const BWRAP_SETUP_REGEXP = /^\/?(?:newroot|oldroot)(?:\/|$)/;
const WRITE_SYSCALLS = new Set([
  "creat",
  "truncate",
  "mkdir",
  "mkdirat",
  "rmdir",
  "unlink",
  "unlinkat",
  "rename",
  "renameat",
  "renameat2",
  "link",
  "linkat",
  "symlink",
  "symlinkat",
]);
const LINE_REGEXP = /^\d+\s+(\w+)\((.*)\)\s+=\s+\d+/;
const STRING_REGEXP = /"((?:[^"\\]|\\.)*)"/g;

/**
 * The `strace` command line that records what a server's processes open and change (record mode only):
 * successful calls only (`-z`), children followed (`-f`), no signal lines.
 * @param strace the strace executable
 * @param log where it writes (inside the sandbox's view)
 * @returns the arguments to put before the server's command
 */
export function straceArgs(strace: string, log: string): string[] {
  return [strace, "-f", "-qq", "-z", "-e", "signal=none", "-e", `trace=${TRACED_SYSCALLS}`, "-o", log, "--"];
}

/**
 * Turns an strace log into containment events for `infer`: one event per (read|write, path) with a count,
 * the runtime's own folders and the given `ignore` paths left out. Relative paths are read against `cwd`.
 * @param text the log
 * @param opts the server's folder, paths to leave out (its runtime), and the event's session fields
 * @returns trace events (`kind: "containment"`, `source: "syscall"`)
 */
export function fileTraceToEvents(
  text: string,
  opts: {
    cwd: string;
    ignore: readonly string[];
    base: { sessionId: string; server: string; mode: "record" | "enforce" };
    time: string;
  },
): TraceEventV1[] {
  const counts = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = LINE_REGEXP.exec(line);
    if (!m) continue;
    const [, call, argText] = m;
    const strings = [...argText!.matchAll(STRING_REGEXP)].map((x) => unescape(x[1]!));
    if (strings.length === 0) continue;
    const write = WRITE_SYSCALLS.has(call!) || /O_(?:WRONLY|RDWR|CREAT|TRUNC|APPEND)/.test(argText!);
    // rename/link/symlink: every path named is written; an open: the one path.
    // A relative name is read against the folder only for AT_FDCWD; against another open folder (bwrap's
    // own set-up opens names under /proc that way) it cannot be placed, and is left out.
    const relativeOk = !/^\d+,/.test(argText!);
    for (const s of call === "symlink" || call === "symlinkat" ? strings.slice(1) : strings) {
      if (!s.startsWith("/") && !relativeOk) continue;
      if (BWRAP_SETUP_REGEXP.test(s)) continue;
      const abs = normalizeAbsolute(s.startsWith("/") ? s : `${opts.cwd}/${s}`);
      if (NOISE.some((n) => isWithin(abs, n)) || opts.ignore.some((n) => isWithin(abs, n))) continue;
      const key = `${write ? "write" : "read"}\0${abs}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return [...counts].map(([key, count]) => {
    const [permission, value] = key.split("\0") as [string, string];
    return {
      v: 1,
      kind: "containment",
      time: opts.time,
      ...opts.base,
      source: "syscall",
      permission,
      value,
      count,
      detail: `${permission} ${value} (${count}x, seen by strace)`,
    } as TraceEventV1;
  });
}

/** strace writes non-ASCII bytes as octal escapes: gather the bytes, then read them as UTF-8. */
function unescape(s: string): string {
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== "\\") {
      bytes.push(...enc.encode(c));
      continue;
    }
    const rest = s.slice(i + 1);
    const m = /^(?:x([0-9a-fA-F]{2})|([0-7]{1,3})|(.))/s.exec(rest)!;
    if (m[1] !== undefined) bytes.push(parseInt(m[1], 16));
    else if (m[2] !== undefined) bytes.push(parseInt(m[2], 8));
    else bytes.push(...enc.encode(m[3] === "n" ? "\n" : m[3] === "t" ? "\t" : m[3]!));
    i += m[0].length;
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}
