/** What a human answered (or did not). */
export type TtyAnswer = "once" | "session" | "deny" | "timeout" | "withdrawn" | "closed";

/** The two ends of a terminal: lines typed by the human, text shown to them. Injected in tests. */
export interface TtyStreams {
  /** Bytes typed on the terminal. */
  readable: ReadableStream<Uint8Array>;
  /** Shows text on the terminal. */
  write(text: string): void;
}

/**
 * Asks yes/no questions on a terminal, one at a time, with a timeout, without blocking anything else: each
 * question is a promise; questions queue behind each other; a line typed while no question is open is
 * dropped, so a stale "y" can never approve the next call.
 */
export class TtyPrompter {
  #streams: TtyStreams;
  #queue: Promise<unknown> = Promise.resolve();
  #waiter: ((line: string | null) => void) | undefined;
  #closed = false;
  #reading = false;

  /** @param streams the terminal */
  constructor(streams: TtyStreams) {
    this.#streams = streams;
  }

  /**
   * Asks one question after any earlier ones are answered.
   * @param text the question, shown as is (it should end with the choices)
   * @param opts `timeoutMs` until it counts as denied; `signal` withdraws it
   * @returns the answer
   */
  ask(text: string, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<TtyAnswer> {
    const run = () => this.#askNow(text, opts);
    const p = this.#queue.then(run, run);
    this.#queue = p;
    return p;
  }

  #askNow(text: string, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<TtyAnswer> {
    if (opts.signal?.aborted) return Promise.resolve("withdrawn");
    if (this.#closed) return Promise.resolve("closed");
    this.#startReading();
    this.#streams.write(text);
    return new Promise<TtyAnswer>((resolve) => {
      let done = false;
      const finish = (a: TtyAnswer, note?: string) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener("abort", onAbort);
        this.#waiter = undefined;
        if (note) this.#streams.write(note);
        resolve(a);
      };
      const onAbort = () => finish("withdrawn", "\n[agentperms] request withdrawn by the client\n");
      const timer = setTimeout(
        () =>
          finish("timeout", `\n[agentperms] no answer in ${Math.round(opts.timeoutMs / 1000)} s: denied\n`),
        opts.timeoutMs,
      );
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiter = (line) => {
        if (line === null) return finish("closed");
        const a = line.trim().toLowerCase();
        if (a === "y" || a === "yes") finish("once");
        else if (a === "a" || a === "always" || a === "s" || a === "session") finish("session");
        else finish("deny");
      };
    });
  }

  #startReading(): void {
    if (this.#reading) return;
    this.#reading = true;
    void (async () => {
      const dec = new TextDecoder();
      let rest = "";
      try {
        for await (const chunk of this.#streams.readable) {
          rest += dec.decode(chunk, { stream: true });
          let nl: number;
          while ((nl = rest.indexOf("\n")) !== -1) {
            const line = rest.slice(0, nl);
            rest = rest.slice(nl + 1);
            this.#waiter?.(line); // no open question: the line is dropped on purpose
          }
        }
      } catch {
        // terminal went away: treat as closed
      }
      this.#closed = true;
      this.#waiter?.(null);
    })();
  }
}

/**
 * Opens the controlling terminal (`/dev/tty`), or returns undefined when there is none (GUI clients,
 * Windows, CI).
 * @returns the terminal's streams, or undefined
 */
export function openDevTty(): TtyStreams | undefined {
  if (Deno.build.os === "windows") return undefined;
  try {
    const f = Deno.openSync("/dev/tty", { read: true, write: true });
    const enc = new TextEncoder();
    return {
      readable: f.readable,
      write: (t) => {
        const b = enc.encode(t);
        let off = 0;
        while (off < b.length) off += f.writeSync(b.subarray(off));
      },
    };
  } catch {
    return undefined;
  }
}
