import { parseJsonStrict } from "../json/mod.ts";
import { isTraceEventV1 } from "./_is_trace_event_v1.ts";
import {
  type LegacyTraceEvent,
  LegacyTraceEventSchema,
  type TraceEventV1,
  TraceEventV1Schema,
} from "./schema.ts";

/** A schema problem, as zod reports it (the first one explains the line). */
export interface TraceIssue {
  path: PropertyKey[];
  message: string;
}

/**
 * One line of a trace file, read: parsed once (strictly, as the proxy reads messages) and classified. Each
 * command words its own messages from it (`infer` and `report` always have), but none parses a line twice.
 */
export type TraceLine =
  /** Whitespace only. */
  | { kind: "blank" }
  /** Not JSON, or JSON the proxy would refuse (`problem: "key"`: a repeated or escaped key). */
  | { kind: "bad-json"; problem: string; error: string }
  /** JSON, but no object. */
  | { kind: "not-object"; value: unknown }
  /** A Deno permission audit line (`{"v":1,"permission":…}`, no `kind`), written by the containment layer. */
  | { kind: "audit"; record: Record<string, unknown> }
  /** A valid v1 event. */
  | { kind: "v1"; event: TraceEventV1 }
  /** An object with `v` that the v1 schema rejects. */
  | { kind: "bad-v1"; record: Record<string, unknown>; issues: TraceIssue[] }
  /** A line of the original tool's format. */
  | { kind: "legacy"; event: LegacyTraceEvent }
  /** An object without `v` that is no legacy line either. */
  | { kind: "bad-legacy"; record: Record<string, unknown>; issues: TraceIssue[] };

/**
 * Reads one trace line. Ordinary v1 lines pass a conservative hand-written check (it accepts only what
 * `TraceEventV1Schema` accepts) instead of the schema, which still judges and explains every line the check
 * does not accept: on a million lines the schema alone costs seconds.
 * @param text the line without its newline
 * @returns what the line is
 */
export function readTraceLine(text: string): TraceLine {
  if (text.trim() === "") return { kind: "blank" };
  // Plain numbers: a reader of traces counts and groups, it forwards nothing, so exact numbers buy nothing;
  // and the exact parse costs ten times as much on every line with a timestamp (":00.000Z" looks like a
  // number that ends in 0), while an exact id or latency (a raw JSON number) would fail the v1 schema.
  const read = parseJsonStrict(text, { exactNumbers: false });
  if (!read.ok) return { kind: "bad-json", problem: read.problem, error: read.error };
  const value = read.value;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { kind: "not-object", value };
  }
  const o = value as Record<string, unknown>;
  if (o.kind === undefined && typeof o.permission === "string" && o.v === 1) {
    return { kind: "audit", record: o };
  }
  if ("v" in o) {
    if (isTraceEventV1(o)) return { kind: "v1", event: o };
    const r = TraceEventV1Schema.safeParse(o);
    return r.success ? { kind: "v1", event: r.data } : { kind: "bad-v1", record: o, issues: r.error.issues };
  }
  const legacy = LegacyTraceEventSchema.safeParse(o);
  return legacy.success
    ? { kind: "legacy", event: legacy.data }
    : { kind: "bad-legacy", record: o, issues: legacy.error.issues };
}

/**
 * The lines of a trace file in batches, one batch per chunk read (a million lines cost a million promise
 * turns when yielded one by one, a second of a ten-second budget). `\n` or `\r\n` ends a line; a last line
 * without a newline is yielded too, alone, with `lastTerminated` false (a torn line when a writer died).
 * @param bytes the file's bytes (e.g. `(await Deno.open(file)).readable`, which closes the file at its end)
 * @returns batches of lines, and whether the batch's last line ended with a newline
 */
export async function* traceLineBatches(
  bytes: AsyncIterable<Uint8Array>,
): AsyncGenerator<{ lines: string[]; lastTerminated: boolean }> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of bytes) {
    const parts = (rest + decoder.decode(chunk, { stream: true })).split("\n");
    rest = parts.pop() ?? "";
    if (parts.length > 0) yield { lines: parts.map(dropCr), lastTerminated: true };
  }
  rest += decoder.decode();
  if (rest.length > 0) yield { lines: [dropCr(rest)], lastTerminated: false };
}

function dropCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}
