import type { PolicyV1, PolicyV2, ServerPolicyV2 } from "../policy/mod.ts";
import { PolicyV2Schema } from "../policy/mod.ts";
import type { ToolClassName } from "../profiles/mod.ts";
import { commentKey } from "./infer_policy.ts";
import { LEARNED_SCOPE_KINDS } from "./learn_scopes.ts";
import type { TraceAccumulator } from "./trace_accumulator.ts";

/** Classes `infer` denies by `class:` entry when no tool of that class was used (and every used tool was listed). */
const DENIABLE_CLASSES: readonly ToolClassName[] = ["exec", "delete", "admin", "send"];

/** What {@link inferV2} adds, for the summary. */
export interface InferredV2 {
  /** Per server: scope kinds written, tools made SQL read-only, classes denied, and why scopes were not written. */
  servers: {
    name: string;
    scopes: string[];
    sqlReadOnly: string[];
    deniedClasses: string[];
    classesUsed: ToolClassName[];
    noScopes?: string;
  }[];
  /** Whether the session rule was written, and why (not). */
  sessionRule: { written: boolean; why: string };
}

/**
 * Turns an inferred format 1 policy into format 2 with what the traces show beyond tools, paths and hosts
 * (#18 item 8): per server the repositories, recipients' domains, channels, tables and namespaces its learned
 * calls touched (read through the server profile its name matches; none is written when a learned call could not
 * be read, since the scope would deny it), `sql: read_only` for a tool whose SQL only ever read, `class:` denies
 * for dangerous classes no used tool has (only when the server's tool list was recorded), and the session rule
 * `untrusted-then-send` when untrusted content came in and no learned call after it sent, wrote elsewhere or
 * reached a new host. Every entry gets an evidence comment.
 *
 * @param policy the inferred format 1 policy (not changed)
 * @param acc the accumulator it was inferred from
 * @param comments evidence comments (added to)
 * @returns the format 2 policy and a summary of what was added
 */
export function inferV2(
  policy: PolicyV1,
  acc: TraceAccumulator,
  comments: Map<string, string>,
): { policy: PolicyV2; added: InferredV2 } {
  const servers: Record<string, ServerPolicyV2 | null> = {};
  const added: InferredV2 = { servers: [], sessionRule: { written: false, why: "" } };
  for (const [name, raw] of Object.entries(policy.servers ?? {})) {
    const sp: ServerPolicyV2 = { ...(raw ?? {}) };
    servers[name] = sp;
    const ls = acc.scopes.servers.get(name);
    const obs = acc.servers.get(name);
    if (!ls || !obs) continue;
    const out: InferredV2["servers"][number] = {
      name,
      scopes: [],
      sqlReadOnly: [],
      deniedClasses: [],
      classesUsed: [...ls.classes.keys()].sort(),
    };
    added.servers.push(out);
    const anyValue = LEARNED_SCOPE_KINDS.some((k) => ls.values[k].size > 0);
    if (ls.blocked !== undefined) {
      if (anyValue) out.noScopes = ls.blocked;
    } else {
      const scopes: NonNullable<ServerPolicyV2["scopes"]> = {};
      for (const k of LEARNED_SCOPE_KINDS) {
        const vals = ls.values[k];
        if (vals.size === 0) continue;
        const unsafe = ls.unsafe.get(k);
        if (unsafe !== undefined) {
          comments.set(commentKey("servers", name, "scopes"), ` ${k} not written: ${unsafe}`);
          continue;
        }
        scopes[k] = [...vals.keys()].sort(cmp);
        out.scopes.push(k);
        for (const [v, n] of vals) comments.set(commentKey("servers", name, "scopes", k, v), ` ${n} call(s)`);
      }
      if (Object.keys(scopes).length > 0) {
        sp.scopes = scopes;
        comments.set(
          commentKey("servers", name, "scopes"),
          ` what the learned calls touched, read with server profile "${ls.profile}"${
            comments.get(commentKey("servers", name, "scopes"))?.replace(/^ /, "; ") ?? ""
          }`,
        );
      }
    }
    const tools: NonNullable<ServerPolicyV2["tools"]> = {};
    for (const [tool, q] of [...ls.sql].sort(([a], [b]) => cmp(a, b))) {
      if (q.other > 0 || q.reads === 0) continue;
      tools[tool] = { sql: "read_only" };
      out.sqlReadOnly.push(tool);
      comments.set(
        commentKey("servers", name, "tools", tool),
        ` ${q.reads} SQL statement(s), each one statement that only reads`,
      );
    }
    if (Object.keys(tools).length > 0) sp.tools = tools;
    // A class deny is only safe when the classes of every used tool are known from a recorded tool list:
    // annotations seen later at enforce time could otherwise give a learned tool a denied class.
    const used = [...obs.tools.keys()];
    if (used.length > 0 && used.every((t) => obs.offered.has(t))) {
      const deny = DENIABLE_CLASSES.filter((c) => !ls.classes.has(c)).map((c) => `class:${c}`);
      if (deny.length > 0) {
        sp.denied_tools = [...(sp.denied_tools ?? []), ...deny];
        out.deniedClasses = deny;
        for (const d of deny) {
          comments.set(commentKey("servers", name, "denied_tools", d), " no tool of this class was used");
        }
      }
    }
    const usedText = out.classesUsed.map((c) => `${c} (${[...ls.classes.get(c)!].sort(cmp).join(", ")})`);
    const prev = comments.get(commentKey("servers", name)) ?? ` ${name}`;
    comments.set(
      commentKey("servers", name),
      `${prev}; classes used: ${usedText.join(", ") || "none"}${
        out.noScopes ? `; no scopes written: ${out.noScopes}` : ""
      }`,
    );
  }
  const v2: PolicyV2 = { ...(policy as unknown as PolicyV2), version: 2, servers };
  const sr = acc.sessionRule;
  const ev = sr.evidence;
  if (sr.learned()) {
    const rule = sr.rule;
    const written = { id: rule.id, description: rule.description, after: rule.after, then: rule.then };
    const candidate = { ...v2, session_rules: [{ ...written, verdict: rule.verdict }] };
    if (PolicyV2Schema.safeParse(candidate).success) {
      (v2 as Record<string, unknown>).session_rules = candidate.session_rules;
      comments.set(
        commentKey("session_rules"),
        ` ${ev.source} brought untrusted content into ${ev.armedSessions} of ${ev.sessions} session(s), and no learned call after it sent, wrote elsewhere or reached a new host`,
      );
      added.sessionRule = {
        written: true,
        why: `untrusted content from ${ev.source}, nothing outbound after it`,
      };
    } else {
      added.sessionRule = {
        written: false,
        why: "this version of the policy format does not accept session_rules yet",
      };
    }
  } else {
    added.sessionRule = {
      written: false,
      why: ev.outbound
        ? `${ev.outbound.call} came after untrusted content in session ${ev.outbound.session}`
        : ev.armedSessions === 0
        ? "no untrusted content came into any session"
        : "too many sessions to follow",
    };
  }
  return { policy: v2, added };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
