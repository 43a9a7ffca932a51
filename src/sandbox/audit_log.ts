import { isWithin, normalizeAbsolute } from "../canonical/mod.ts";
import type { TraceEventV1 } from "../trace/mod.ts";
import type { FlagReason } from "./plan_launch.ts";
import type { BrokerCheck } from "./start_broker.ts";
import { parseJsonStrict } from "../json/mod.ts";

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
    const r = parseJsonStrict(line);
    if (!r.ok) continue; // truncated line (or one with a repeated or unreadable key)
    const e = r.value as Record<string, unknown> | null;
    if (e && typeof e.permission === "string") {
      out.push({
        v: 1,
        datetime: String(e.datetime ?? ""),
        permission: e.permission,
        value: typeof e.value === "string" ? e.value : null,
      });
    }
  }
  return out;
}

/**
 * Turns audit entries into `kind: "containment"` trace events with `source: "audit"`, one per distinct
 * (permission, value) with a `count`, in first-seen order. Under an unscoped grant (record mode runs with
 * `--allow-all`) Deno logs every file open as both read and write, so a `write` entry right after a `read`
 * of the same value is folded into it and marked `maybeWrite: true`; `infer` should grant write only for
 * values with a plain `write` entry. Deno's audit has no outcome; given the plan's `flags`, each event gets
 * `granted` (what Deno's flags decided), so `infer` never learns an attempt the sandbox refused.
 * @param entries parsed audit entries
 * @param base session, server and mode for every event
 * @param flags the launch plan's flags, when the server ran contained
 * @returns trace events
 */
export function auditToTraceEvents(
  entries: AuditEntry[],
  base: ContainmentEventBase,
  flags?: FlagReason[],
): TraceEventV1[] {
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
        ...(flags ? { granted: flagsGrant(flags, e.permission, e.value) } : {}),
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
 * @param plan the launch plan (its flags tell which accesses Deno granted)
 * @returns trace events
 */
export async function readAuditFile(
  file: string,
  base: ContainmentEventBase,
  plan?: { flags: FlagReason[] },
): Promise<TraceEventV1[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch {
    return [];
  }
  return auditToTraceEvents(parseAuditLog(text), base, plan?.flags);
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

/**
 * What Deno's permission flags decide for one access (DENO_NOTES §1.4): paths by component, the most specific
 * match wins and deny wins a tie; hosts by name (`*.d` also covers `d`) and optional port; env names exactly or
 * by `PREFIX*`. Anything without a flag (sys, ffi, run) is denied.
 * @param flags the plan's flags
 * @param permission the kind
 * @param value the audited value
 * @returns true when the flags grant it
 */
export function flagsGrant(flags: FlagReason[], permission: string, value: string | null): boolean {
  if (flags.some((f) => f.flag === "allow-all")) return true;
  const vals = (flag: string) => flags.filter((f) => f.flag === flag).map((f) => f.value);
  const allow = vals(`allow-${permission}`);
  const deny = vals(`deny-${permission}`);
  if (value === null) return allow.includes("*") && deny.length === 0;
  if (permission === "read" || permission === "write") {
    const p = normalizeAbsolute(value);
    const depth = (xs: string[]) =>
      Math.max(-1, ...xs.map((x) => (x === "*" ? 0 : isWithin(p, x) ? x.length : -1)));
    const a = depth(allow);
    return a >= 0 && a > depth(deny);
  }
  if (permission === "net") {
    const hp = value.includes("://") ? hostPortOfUrl(value) : value.toLowerCase();
    if (hp === undefined) return false;
    return !deny.some((d) => netMatch(d, hp)) && allow.some((a) => a === "*" || netMatch(a, hp));
  }
  if (permission === "env") {
    const m = (x: string) =>
      x === "*" || x === value || (x.endsWith("*") && value.startsWith(x.slice(0, -1)));
    return !deny.some(m) && allow.some(m);
  }
  return allow.includes("*") || allow.includes(value);
}

function hostPortOfUrl(u: string): string | undefined {
  try {
    const url = new URL(u);
    const port = url.port || (url.protocol === "https:" ? "443" : url.protocol === "http:" ? "80" : "");
    return `${url.hostname.toLowerCase()}${port ? `:${port}` : ""}`;
  } catch {
    return undefined;
  }
}

function netMatch(flag: string, hostPort: string): boolean {
  const [fh, fp] = splitHostPort(flag.toLowerCase());
  const [h, p] = splitHostPort(hostPort);
  if (fp !== undefined && fp !== p) return false;
  if (fh.startsWith("*.")) return h === fh.slice(2) || h.endsWith(fh.slice(1));
  return fh === h;
}

function splitHostPort(s: string): [string, string | undefined] {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(s);
  return m ? [m[1]!.replace(/^\[|\]$/g, ""), m[2]] : [s, undefined];
}
