import { TRACE_KINDS, type TraceEventV1 } from "./schema.ts";

const KINDS: ReadonlySet<string> = new Set(TRACE_KINDS);
const VERDICTS = new Set(["allow", "deny", "approve"]);
const CHANNELS = new Set(["elicitation", "tty", "session", "none"]);
const OUTCOMES = new Set(["ok", "error", "none"]);

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
const optStr = (v: unknown) => v === undefined || typeof v === "string";
const optBool = (v: unknown) => v === undefined || typeof v === "boolean";
const optNum = (v: unknown) => v === undefined || (typeof v === "number" && Number.isFinite(v));
const strArray = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === "string");
const optStrArray = (v: unknown) => v === undefined || strArray(v);

/**
 * A fast, conservative check that a parsed line is a valid v1 trace event: it accepts only what
 * `TraceEventV1Schema` accepts (a property test holds it to that), so the schema need not run on the million
 * ordinary lines; anything it rejects still goes through the schema, which decides and explains.
 * @param o a parsed JSON value
 * @returns true when `o` certainly satisfies the schema
 */
export function isTraceEventV1(o: unknown): o is TraceEventV1 {
  if (!isObj(o)) return false;
  if (o.v !== 1 || typeof o.kind !== "string" || !KINDS.has(o.kind)) return false;
  if (typeof o.time !== "string" || typeof o.sessionId !== "string" || typeof o.server !== "string") {
    return false;
  }
  if (o.mode !== "record" && o.mode !== "enforce") return false;
  if (o.direction !== undefined && o.direction !== "client" && o.direction !== "server") return false;
  if (!optStr(o.method) || !optStr(o.tool) || !optStr(o.cwd) || !optStr(o.detail) || !optStr(o.decisionId)) {
    return false;
  }
  if (o.id !== undefined && o.id !== null && typeof o.id !== "string" && !Number.isFinite(o.id)) return false;
  if (!optStrArray(o.paths) || !optStrArray(o.urls) || !optBool(o.forwarded) || !optNum(o.latencyMs)) {
    return false;
  }
  if (o.decision !== undefined) {
    const d = o.decision;
    if (!isObj(d) || typeof d.verdict !== "string" || !VERDICTS.has(d.verdict)) return false;
    if (!strArray(d.ruleIds) || typeof d.reason !== "string" || !optStr(d.decisionId)) return false;
  }
  if (o.approval !== undefined) {
    const a = o.approval;
    if (!isObj(a) || typeof a.channel !== "string" || !CHANNELS.has(a.channel)) return false;
    if (typeof a.granted !== "boolean" || !optStr(a.detail)) return false;
  }
  if (o.result !== undefined) {
    const r = o.result;
    if (!isObj(r) || typeof r.outcome !== "string" || !OUTCOMES.has(r.outcome)) return false;
    if (!optBool(r.isError) || !optNum(r.size) || !optStr(r.summary) || !optStr(r.containment)) return false;
    if (!optStrArray(r.contentTypes) || !optStr(r.sha256)) return false;
  }
  if (o.tools !== undefined) {
    if (!Array.isArray(o.tools) || !o.tools.every((t) => isObj(t) && typeof t.name === "string")) {
      return false;
    }
  }
  if (o.redactions !== undefined) {
    if (
      !Array.isArray(o.redactions) ||
      !o.redactions.every((r) => isObj(r) && typeof r.ruleId === "string" && typeof r.pointer === "string")
    ) return false;
  }
  return true;
}
