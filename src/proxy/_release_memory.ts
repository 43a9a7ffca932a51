import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let gc: (() => void) | null | undefined;
let scheduled = false;

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

/** Runs one full garbage collection now (a no-op where V8's `gc` cannot be exposed). */
export function releaseMemoryNow(): void {
  if (gc === undefined) gc = exposeGc();
  gc?.();
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
