import { parseFrameText } from "./framing.ts";

/** Options for {@link refuseSession}. */
export interface RefuseSessionOptions {
  /** Bytes from the client (default: this process's stdin). */
  clientIn?: ReadableStream<Uint8Array>;
  /** Writes one line to the client (default: this process's stdout). */
  send?: (line: string) => Promise<void>;
  /** How long to wait for the client's first request, ms (default 10,000). */
  waitMs?: number;
}

/**
 * When the server must not start (its sandbox cannot be built and the policy refuses to run it
 * uncontained), the client still gets an answer instead of "Connection closed": every request that arrives
 * until the first one is answered gets a JSON-RPC error with the reason and the fix (its id kept exactly),
 * then the stream is left. Notifications get nothing.
 *
 * @param message the error message (reason and fix)
 * @param opts the client's streams and how long to wait
 * @returns how many requests were answered
 */
export async function refuseSession(message: string, opts: RefuseSessionOptions = {}): Promise<number> {
  const input = opts.clientIn ?? Deno.stdin.readable;
  const enc = new TextEncoder();
  const send = opts.send ?? (async (line: string) => {
    await Deno.stdout.write(enc.encode(line + "\n"));
  });
  const reader = input.getReader();
  const dec = new TextDecoder();
  let buf = "";
  let answered = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((r) =>
    timer = setTimeout(() => r("timeout"), opts.waitMs ?? 10_000)
  );
  try {
    while (answered === 0) {
      const next = await Promise.race([reader.read(), timeout]);
      if (next === "timeout" || next.done) break;
      buf += dec.decode(next.value, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const p = parseFrameText(line);
        const msgs = p.ok ? (Array.isArray(p.value) ? p.value : [p.value]) : [];
        for (const m of msgs) {
          if (m === null || typeof m !== "object" || !("id" in m) || !("method" in m)) continue;
          const id = (m as { id: unknown }).id;
          await send(JSON.stringify({ jsonrpc: "2.0", id, error: { code: -32000, message } }));
          answered++;
        }
      }
    }
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
  return answered;
}
