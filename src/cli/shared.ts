import { TextLineStream } from "./text_line_stream.ts";
import type { Io } from "./io.ts";
import type { LoadedPolicy } from "../policy/mod.ts";
import { AgentPermsError } from "../errors.ts";
import { EXIT, exitCodeFor } from "./exit_codes.ts";
import { resolve } from "node:path";

/**
 * Prints a policy's lint warnings to stderr as `warning: file:line:col: message`.
 * @param io where to print
 * @param loaded the loaded policy
 */
export function printPolicyWarnings(io: Io, loaded: Pick<LoadedPolicy, "file" | "warnings">): void {
  for (const w of loaded.warnings) {
    io.stderr(`warning: ${loaded.file}${w.line ? `:${w.line}:${w.col}` : ""}: ${w.message}\n`);
  }
}

/**
 * Opens a file (or stdin for "-") as a stream of bytes.
 * @param file a path, or "-" for stdin
 * @param io the Io (cwd, stdin)
 * @returns the bytes, in chunks
 * @throws {AgentPermsError} io_failed when the file cannot be opened
 */
export async function openBytes(file: string, io: Io): Promise<ReadableStream<Uint8Array>> {
  if (file === "-") return io.stdin();
  try {
    return (await Deno.open(resolve(io.cwd(), file))).readable;
  } catch (e) {
    throw new AgentPermsError("io_failed", `Cannot read "${file}": ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Streams the lines of a file (or stdin for "-") without loading it whole.
 * @param file a path, or "-" for stdin
 * @param io the Io (cwd, stdin)
 * @returns an async iterable of lines without their newline
 * @throws {AgentPermsError} io_failed when the file cannot be opened
 */
export async function* readLines(file: string, io: Io): AsyncGenerator<string> {
  const stream = await openBytes(file, io);
  // When @types/node is in the program (tests import node:assert), its TextDecoderStream types clash with
  // Deno's; the cast keeps both type checks happy without changing behaviour.
  const decoder = new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>;
  yield* stream.pipeThrough(decoder).pipeThrough(new TextLineStream());
}

/**
 * Parses repeated `--server-map pack=policy` options (replay and report point pack servers at policy names).
 * @param entries the option values
 * @returns pack server name → policy server name
 * @throws {AgentPermsError} usage, for an entry that is not `a=b`
 */
export function parseServerMap(entries: string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const e of entries) {
    const m = /^([^=]+)=([^=]+)$/.exec(e.trim());
    if (!m) {
      throw new AgentPermsError("usage", `Invalid --server-map "${e}"`, {
        hint: "Write pack=policy, e.g. --server-map filesystem=fs",
      });
    }
    map[m[1]!.trim()] = m[2]!.trim();
  }
  return map;
}

/**
 * Reads a `--timeout` value: a positive number of seconds.
 * @param value the option as given
 * @returns seconds
 * @throws {AgentPermsError} usage, for anything else
 */
export function positiveSeconds(value: unknown): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new AgentPermsError("usage", `--timeout must be a positive number of seconds, not "${value}"`);
  }
  return n;
}

/**
 * Prints an error the way every command does and returns its exit code.
 * @param e what was thrown
 * @param io where to print
 * @param debug include the stack for unexpected errors
 * @returns the exit code for it
 */
export function reportError(e: unknown, io: Io, debug: boolean): number {
  if (e instanceof AgentPermsError) {
    io.stderr(`error: ${e.message}\n`);
    if (e.hint) io.stderr(`hint: ${e.hint}\n`);
    if (debug && e.stack) io.stderr(`${e.stack}\n`);
    return exitCodeFor(e.code);
  }
  const err = e instanceof Error ? e : new Error(String(e));
  io.stderr(`error: internal error: ${err.message}\n`);
  io.stderr(debug ? `${err.stack}\n` : "hint: run again with --debug for the stack trace, and report it\n");
  return EXIT.runtime;
}
