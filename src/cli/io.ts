/**
 * Everything a command may touch in the outside world. Commands receive an `Io`;
 * tests pass `fakeIo()` and read what was written.
 */
export interface Io {
  /** Writes text to standard output as is (add your own newline). */
  stdout(text: string): void;
  /** Writes text to standard error as is. */
  stderr(text: string): void;
  /** Standard input as bytes. */
  stdin(): ReadableStream<Uint8Array>;
  /** Reads one environment variable. */
  env(name: string): string | undefined;
  /** All environment variables (for launching upstream servers with an allowlist). */
  envAll(): Record<string, string>;
  /** The working directory of this process. */
  cwd(): string;
  /** Wall clock. */
  now(): Date;
  /** True when stdout is a terminal (colours, progress). */
  isTty(): boolean;
  /** The platform, for per-OS client paths. */
  os: "linux" | "darwin" | "windows";
  /**
   * Writes one log record to stderr, which Deno's OpenTelemetry exporter (`OTEL_DENO=true`) also exports
   * with its attributes (proxy lifecycle events). Set by `cli.ts`, the one place that prints; absent in tests.
   */
  logRecord?(line: string, attributes: Record<string, string | number | boolean>): void;
}

/** The real process `Io`, backed by Deno. */
export function denoIo(): Io {
  const enc = new TextEncoder();
  return {
    stdout: (t) => writeAllSync(Deno.stdout, enc.encode(t)),
    stderr: (t) => writeAllSync(Deno.stderr, enc.encode(t)),
    stdin: () => Deno.stdin.readable,
    env: (n) => Deno.env.get(n),
    envAll: () => Deno.env.toObject(),
    cwd: () => Deno.cwd(),
    now: () => new Date(),
    isTty: () => Deno.stdout.isTerminal(),
    os: Deno.build.os === "windows" ? "windows" : Deno.build.os === "darwin" ? "darwin" : "linux",
  };
}

function writeAllSync(w: { writeSync(p: Uint8Array): number }, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += w.writeSync(data.subarray(off));
}

/** A captured `Io` for tests: `out` and `err` collect what the command printed. */
export interface FakeIo extends Io {
  /** Everything written to stdout. */
  readonly out: string[];
  /** Everything written to stderr. */
  readonly err: string[];
  /** Joined stdout. */
  stdoutText(): string;
  /** Joined stderr. */
  stderrText(): string;
}

/**
 * Builds a fake `Io` for tests.
 * @param opts environment, cwd, stdin text and clock to present
 * @returns an Io that records output
 */
export function fakeIo(
  opts: { env?: Record<string, string>; cwd?: string; stdin?: string; now?: Date; os?: Io["os"] } = {},
): FakeIo {
  const out: string[] = [];
  const err: string[] = [];
  const env = opts.env ?? {};
  return {
    out,
    err,
    stdoutText: () => out.join(""),
    stderrText: () => err.join(""),
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    stdin: () =>
      new ReadableStream({
        start(c) {
          if (opts.stdin) c.enqueue(new TextEncoder().encode(opts.stdin));
          c.close();
        },
      }),
    env: (n) => env[n],
    envAll: () => ({ ...env }),
    cwd: () => opts.cwd ?? "/",
    now: () => opts.now ?? new Date("2026-01-01T00:00:00Z"),
    isTty: () => false,
    os: opts.os ?? "linux",
  };
}
