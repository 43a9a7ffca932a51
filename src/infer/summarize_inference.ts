import type { DangerCategory } from "../profiles/mod.ts";
import { displayPath, type InferResult } from "./infer_policy.ts";
import type { MalformedLine } from "./trace_accumulator.ts";

/** Counters shown in the summary. */
export interface SummaryCounts {
  /** Lines read. */
  lines: number;
  /** Calls seen. */
  calls: number;
  /** Calls learned as plain allows. */
  learned: number;
  /** Calls that went to approval. */
  approved: number;
  /** Lines skipped as malformed. */
  malformed: number;
}

const NEEDS: { category: DangerCategory; phrase: string }[] = [
  { category: "shell", phrase: "shell or command execution" },
  { category: "send", phrase: "sending mail or messages" },
  { category: "delete", phrase: "deleting anything" },
  { category: "force-push", phrase: "force push" },
  { category: "merge", phrase: "merging" },
  { category: "db-write", phrase: "database writes" },
];

/**
 * The plain-language summary of an inference: what the agent used, what needs approval, what it does not need,
 * and what was seen but not learned (with reasons), plus skipped lines with file:line.
 *
 * @param r the inference result
 * @param opts counters, malformed lines, the policy's directory and home (to show paths as in the policy)
 * @returns lines of text, ending with a newline
 */
export function summarizeInference(
  r: InferResult,
  opts: { counts: SummaryCounts; malformed: readonly MalformedLine[]; baseDir: string; home: string },
): string {
  const out: string[] = [];
  const show = (p: string) => displayPath(p, opts);
  const c = opts.counts;
  out.push(
    `Read ${c.lines} line(s): ${c.calls} call(s), ${c.learned} learned, ${c.approved} approved by a human, ` +
      `${c.calls - c.learned - c.approved} seen but not learned, ${c.malformed} malformed line(s) skipped.`,
  );
  const usedParts: string[] = [];
  for (const s of r.servers) {
    const tools = s.allowedTools.map((t) => t.name);
    if (tools.length === 0 && s.approvals.length === 0) continue;
    const paths = s.allowedPaths.map((p) => p.entry);
    const hosts = s.allowedHosts.map((h) => h.entry);
    usedParts.push(
      `${s.name}: ${tools.length ? tools.join(", ") : "no tool without approval"}` +
        (paths.length ? ` on ${paths.join(", ")}` : "") +
        (hosts.length ? ` reaching ${hosts.join(", ")}` : ""),
    );
  }
  out.push(
    usedParts.length
      ? `The agent used ${usedParts.join("; ")}.`
      : "The agent used nothing that could be learned.",
  );
  const approvals = r.servers.flatMap((s) => s.approvals.map((a) => `${s.name}.${a.name} (${a.why})`));
  if (approvals.length) out.push(`It needs human approval for ${approvals.join(", ")}.`);
  const usedCats = new Set(r.servers.flatMap((s) => s.approvals.flatMap((a) => a.categories)));
  const notNeeded = NEEDS.filter((n) => !usedCats.has(n.category)).map((n) => n.phrase);
  notNeeded.push("your home directory", "secrets (~/.ssh, ~/.aws, .env, keys)");
  if (r.servers.every((s) => s.allowedHosts.length === 0)) notNeeded.push("network access");
  out.push(`It does not need ${joinAnd(notNeeded)}.`);
  const multiplexed = r.servers.flatMap((s) =>
    [...s.allowedTools, ...s.approvals].filter((t) => t.multiplexed).map((t) =>
      `${s.name}.${t.name} (${t.multiplexed!.join(", ")})`
    )
  );
  if (multiplexed.length) {
    out.push(`Multiplexed tools (one name, many actions chosen by an argument): ${multiplexed.join(", ")}.`);
  }
  const after = r.servers.flatMap((s) => s.afterUntrusted.map((a) => `${show(a.path)} (after ${a.source})`));
  if (after.length) {
    out.push(
      `Review: first used after untrusted input entered the session: ${after.slice(0, 5).join(", ")}${
        after.length > 5 ? `, and ${after.length - 5} more` : ""
      }.`,
    );
  }
  const denied = r.servers.flatMap((s) => s.deniedTools.map((d) => `${s.name}.${d.name}`));
  if (denied.length) out.push(`Denied dangerous tools it never used: ${denied.join(", ")}.`);
  if (r.sensitive.length) {
    const list = r.sensitive.slice(0, 5).map((s) => `${show(s.path)} (${s.calls}x)`);
    out.push(
      `Secret paths were touched and are NOT allowed: ${list.join(", ")}${
        r.sensitive.length > 5 ? `, and ${r.sensitive.length - 5} more` : ""
      }. Review why the agent went there.`,
    );
  }
  if (r.notLearned.length) {
    out.push("Seen, not learned:");
    for (const n of r.notLearned) {
      const ex = n.example.startsWith("/") ? show(n.example) : n.example;
      out.push(`  ${n.server}.${n.tool}: ${n.reason} (${n.count}x; ${ex})`);
    }
  }
  for (const m of opts.malformed) out.push(`skipped ${m.file}:${m.line}: ${m.message}`);
  if (c.malformed > opts.malformed.length) {
    out.push(`… and ${c.malformed - opts.malformed.length} more malformed line(s)`);
  }
  return out.join("\n") + "\n";
}

function joinAnd(xs: string[]): string {
  if (xs.length <= 1) return xs.join("");
  return `${xs.slice(0, -1).join(", ")} or ${xs[xs.length - 1]}`;
}
