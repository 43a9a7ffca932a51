import type { ItemDiff, LockDiff, WordDiffPart } from "./diff_lock.ts";
import type { LaunchV1 } from "./lock_file.ts";

/**
 * Renders a lock diff as text for people: one block per server, NEW/REMOVED/CHANGED per item, the
 * launch command once per server, and descriptions as `[-deleted-]{+inserted+}` word diffs
 * (git's `--word-diff=plain` notation).
 * @param diff the diff from `diffLock`
 * @returns text ending in a newline, or "" when the diff is clean
 */
export function formatLockDiff(diff: LockDiff): string {
  const out: string[] = [];
  for (const s of diff.servers) {
    if (s.change !== "changed") {
      out.push(`${s.change === "new" ? "NEW" : "REMOVED"} server "${s.server}"`);
      for (const i of s.items) out.push(`  ${s.change === "new" ? "NEW" : "REMOVED"} ${i.kind} "${i.name}"`);
      if (s.change === "new") out.push(`  (not in the lock: review it, then run \`agentperms lock\`)`);
      continue;
    }
    out.push(`CHANGED server "${s.server}"`);
    if (s.launch) {
      out.push(`  CHANGED launch command (${s.launch.fields.join(", ")}):`);
      out.push(`    - ${showLaunch(s.launch.before)}`);
      out.push(`    + ${showLaunch(s.launch.after)}`);
    }
    for (const c of s.identity) {
      if (c.field === "instructions") {
        out.push(`  CHANGED server instructions`);
        if (c.textDiff) out.push(`    instructions: ${showWords(c.textDiff)}`);
      } else {out.push(
          `  CHANGED ${c.field}: ${JSON.stringify(c.before ?? null)} -> ${JSON.stringify(c.after ?? null)}`,
        );}
    }
    for (const i of s.items) out.push(...showItem(i));
  }
  if (!out.length) return "";
  const items = diff.servers.reduce((n, s) => n + s.items.length, 0);
  out.push(`drift: ${diff.servers.length} server(s), ${items} tool/prompt/resource change(s)`);
  return out.join("\n") + "\n";
}

function showItem(i: ItemDiff): string[] {
  if (i.change === "new") return [`  NEW ${i.kind} "${i.name}"`];
  if (i.change === "removed") return [`  REMOVED ${i.kind} "${i.name}"`];
  const lines = [`  CHANGED ${i.kind} "${i.name}": ${i.fields.join(", ")}`];
  if (i.descriptionDiff) lines.push(`    description: ${showWords(i.descriptionDiff)}`);
  return lines;
}

function showWords(parts: WordDiffPart[]): string {
  return parts.map((
    p,
  ) => (p.op === "insert" ? `{+${p.text}+}` : p.op === "delete" ? `[-${p.text}-]` : p.text))
    .join("").replace(/\n/g, "\n      ");
}

function showLaunch(l: LaunchV1): string {
  const cmd = [l.command, ...l.args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(
    " ",
  );
  return l.envNames.length ? `${cmd}  (env: ${l.envNames.join(", ")})` : cmd;
}
