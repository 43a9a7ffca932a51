import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let gc: (() => void) | null | undefined;
let scheduled = false;
let idleTimer: ReturnType<typeof setTimeout> | undefined;

/** How long after the last large message the proxy waits, idle, before it collects once. */
const IDLE_MS = 1000;

/**
 * Runs one full garbage collection (and glibc's trim) once no large message has been handled for
 * {@link IDLE_MS}: each call pushes it back. Called after each multi-megabyte message instead of collecting
 * between its steps: a full collection marks the proxy's whole heap (about 30 MB, 50-150 ms of CPU on a
 * loaded 2-core machine), and nine of them per 10 MB echo were 60% of its CPU, 4.6× the floor's. Without them
 * a burst of large messages peaks where V8's own collections keep it (like the bare hop's), and the proxy
 * gives that memory back once the burst is over. The timer never keeps the process alive.
 * @param collect what to run once idle (tests count it); default {@link releaseMemoryNow}
 */
export function releaseMemoryWhenIdle(collect: () => void = releaseMemoryNow): void {
  if (idleTimer !== undefined) clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    idleTimer = undefined;
    collect();
  }, IDLE_MS);
  Deno.unrefTimer(idleTimer as unknown as number);
}

/**
 * Runs one full garbage collection on the next turn of the event loop (after the writes queued now have been
 * handed over), at most one pending at a time. Used after a multi-megabyte message, so the proxy's peak memory
 * stays near one message's worth instead of growing with V8's heap limits. A no-op where V8's `gc` cannot be
 * exposed.
 */
export function releaseMemorySoon(): void {
  if (scheduled) return;
  scheduled = true;
  setTimeout(() => {
    scheduled = false;
    releaseMemoryNow();
  }, 0);
}

/**
 * Runs one full garbage collection now (a no-op where V8's `gc` cannot be exposed), then, once
 * {@link returnLargeFreesToSystem} has been called, hands the memory glibc keeps free back to the system.
 */
export function releaseMemoryNow(): void {
  if (gc === undefined) gc = exposeGc();
  // Set up at the first release, not at start-up: a proxy that never sees a large message never loads FFI.
  if (libcWanted && libc === undefined) libc = openGlibc();
  gc?.();
  libc?.symbols.malloc_trim(0n);
}

function exposeGc(): (() => void) | null {
  try {
    // --expose-gc set at run time takes effect for contexts created afterwards.
    setFlagsFromString("--expose-gc");
    const fn = runInNewContext("gc");
    return typeof fn === "function" ? fn as () => void : null;
  } catch {
    return null;
  }
}

/** glibc's `mallopt` parameter number for the mmap threshold (malloc.h). */
const M_MMAP_THRESHOLD = -3;

const LIBC_SYMBOLS = {
  mallopt: { parameters: ["i32", "i32"], result: "i32" },
  malloc_trim: { parameters: ["usize"], result: "i32" },
} as const;
let libcWanted = false;
/** undefined until first wanted; null where it cannot be set up. */
let libc: Deno.DynamicLibrary<typeof LIBC_SYMBOLS> | null | undefined;

/**
 * Makes glibc give freed message buffers back to the system. glibc serves allocations of 128 KiB or more with
 * their own mappings, but after the first such buffer is freed it raises that threshold to the buffer's size,
 * so the next multi-megabyte messages came from its heap and stayed there once freed; and the 64 KiB chunks a
 * message arrives in stay in its heap after they are freed. From the next {@link releaseMemoryNow} on (the
 * first large message), the threshold is set explicitly (to its default), which turns the raising off, and
 * glibc's heap is trimmed after each collection. A 10 MB echo: proxy peak 117 MB before, about 104 MB after.
 * A no-op off Linux, off glibc, or without the FFI permission (it never prompts).
 */
export function returnLargeFreesToSystem(): void {
  libcWanted = true;
}

/** Opens glibc and sets the mmap threshold; null where that cannot be done. */
function openGlibc(): Deno.DynamicLibrary<typeof LIBC_SYMBOLS> | null {
  if (Deno.build.os !== "linux") return null;
  try {
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return null;
    const lib = Deno.dlopen("libc.so.6", LIBC_SYMBOLS);
    if (lib.symbols.mallopt(M_MMAP_THRESHOLD, 128 * 1024) !== 1) {
      lib.close();
      return null;
    }
    return lib;
  } catch {
    return null;
  }
}
