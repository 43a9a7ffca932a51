import type { TraceEventV1 } from "../trace/mod.ts";
import type { BrokerCheck } from "./start_broker.ts";

/** One line of Deno's permission audit log (`DENO_AUDIT_PERMISSIONS`, schema permission-audit.v1). */
export interface AuditEntry {
  /** Always 1. */
  v: number;
  /** RFC 3339, second resolution. */
  datetime: string;
  /** read, write, net, env, sys, ffi (run is never audited by Deno 2.9). */
  permission: string;
  /** Path, host, env name; may be null. */
  value: string | null;
}

/** Who is writing the containment event. */
export interface ContainmentEventBase {
  /** Proxy session id. */
  sessionId: string;
  /** Server name. */
  server: string;
  /** record or enforce. */
  mode: "record" | "enforce";
}

/**
 * Parses an audit log (JSONL). Bad lines are skipped: Deno may be killed mid-line.
 * @param text the file's text
 * @returns the entries
 */
export function parseAuditLog(text: string): AuditEntry[] {
  const out: AuditEntry[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const e = JSON.parse(line);
      if (e && typeof e.permission === "string") {
        out.push({
          v: 1,
          datetime: String(e.datetime ?? ""),
          permission: e.permission,
          value: typeof e.value === "string" ? e.value : null,
        });
      }
    } catch { /* truncated line */ }
  }
  return out;
}

/**
 * Turns audit entries into `kind: "containment"` trace events with `source: "audit"`, one per distinct
 * (permission, value) with a `count`, in first-seen order. Under an unscoped grant (record mode runs with
 * `--allow-all`) Deno logs every file open as both read and write, so a `write` entry right after a `read`
 * of the same value is folded into it and marked `maybeWrite: true`; `infer` should grant write only for
 * values with a plain `write` entry.
 * @param entries parsed audit entries
 * @param base session, server and mode for every event
 * @returns trace events
 */
export function auditToTraceEvents(entries: AuditEntry[], base: ContainmentEventBase): TraceEventV1[] {
  const byKey = new Map<string, TraceEventV1>();
  let prev: AuditEntry | undefined;
  for (const e of entries) {
    const paired = e.permission === "write" && prev?.permission === "read" && prev.value === e.value;
    const key = `${paired ? "read" : e.permission}\0${e.value ?? ""}`;
    const ev = byKey.get(key);
    if (ev) {
      if (!paired) ev.count = (ev.count as number) + 1;
      else ev.maybeWrite = true;
    } else {
      byKey.set(key, {
        v: 1,
        kind: "containment",
        time: e.datetime,
        sessionId: base.sessionId,
        server: base.server,
        mode: base.mode,
        source: "audit",
        permission: e.permission,
        value: e.value,
        count: 1,
        detail: `${e.permission} ${e.value ?? "(any)"}`,
      });
    }
    prev = e;
  }
  return [...byKey.values()];
}

/**
 * Reads an audit file written by a server (missing file → no events).
 * @param file the `LaunchPlan.auditFile`
 * @param base session, server and mode
 * @returns trace events
 */
export async function readAuditFile(file: string, base: ContainmentEventBase): Promise<TraceEventV1[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch {
    return [];
  }
  return auditToTraceEvents(parseAuditLog(text), base);
}

/**
 * The trace event for one broker answer (`kind: "containment"`, `source: "broker"`, with the decision).
 * @param check what the broker answered
 * @param base session, server and mode
 * @returns a trace event
 */
export function brokerCheckToTraceEvent(check: BrokerCheck, base: ContainmentEventBase): TraceEventV1 {
  return {
    v: 1,
    kind: "containment",
    time: check.datetime,
    sessionId: base.sessionId,
    server: base.server,
    mode: base.mode,
    source: "broker",
    permission: check.permission,
    value: check.value,
    ...(check.resolved !== undefined ? { resolved: check.resolved } : {}),
    decision: {
      verdict: check.decision.verdict,
      ruleIds: check.decision.ruleIds,
      reason: check.decision.reason,
    },
    detail: `${check.permission} ${check.value ?? "(any)"}: ${check.decision.verdict}`,
  };
}
