import { isMap, parseDocument, type Scalar } from "yaml";
import { AgentPermsError } from "../errors.ts";
import { matchServerProfile, profileTool } from "../profiles/mod.ts";
import { BUILTIN_PROFILES } from "../../profiles/mod.ts";
import { BUILTIN_GUARD_PACKS } from "../../guards/mod.ts";

/** The result of {@link upgradePolicy}. */
export interface PolicyUpgrade {
  /** The v2 text (comments, order and layout kept). Equal to the input when it already is v2. */
  text: string;
  /** True when the text changed. */
  changed: boolean;
  /** What the v2 reading changes, one line each: the rules v2 adds on by default. */
  notes: string[];
}

const HEADER =
  " Format 2 (agentperms policy upgrade): every v1 rule means the same; see docs/policy.md for tools, scopes and classes";

/**
 * Rewrites a v1 policy as v2, keeping its comments, key order and layout (yaml's Document API): `version`
 * becomes 2, and nothing else changes. v2 adds rules that are on by default, so the notes say what a v2
 * reading of the same file denies that v1 allowed: the guard packs (switch one off with
 * `guards: { <pack>: false }`), and SQL tools a server profile documents as read-only (set `sql: any` on the
 * tool to keep v1's reading).
 * @param text the policy's YAML text
 * @param opts `file` names the source in messages
 * @returns the v2 text and the notes
 * @throws {AgentPermsError} `policy_invalid` when the text is not YAML, not a mapping, or an unknown version
 */
export function upgradePolicy(text: string, opts: { file: string }): PolicyUpgrade {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new AgentPermsError(
      "policy_invalid",
      `Cannot upgrade policy "${opts.file}": YAML error: ${doc.errors[0]!.message.split("\n")[0]}`,
    );
  }
  if (!isMap(doc.contents)) {
    throw new AgentPermsError(
      "policy_invalid",
      `Cannot upgrade policy "${opts.file}": the policy must be a YAML mapping with version and servers`,
    );
  }
  const version = doc.get("version");
  if (version === 2) return { text, changed: false, notes: [] };
  if (version !== 1) {
    throw new AgentPermsError(
      "policy_invalid",
      `Cannot upgrade policy "${opts.file}": unsupported version ${
        JSON.stringify(version)
      }: only version 1 upgrades`,
    );
  }
  // Edit the text at the version scalar's own range: every other byte (comments, flow lists, quoting,
  // blank lines) stays exactly as written, which re-stringifying the document would not guarantee.
  const node = doc.get("version", true) as Scalar;
  const [from, to] = node.range!;
  let out = `${text.slice(0, from)}2${text.slice(to)}`;
  if (!text.includes("agentperms policy upgrade")) {
    const lineStart = out.lastIndexOf("\n", from - 1) + 1;
    out = `${out.slice(0, lineStart)}#${HEADER}\n${out.slice(lineStart)}`;
  }
  return { text: out, changed: true, notes: upgradeNotes(doc.toJS()) };
}

function upgradeNotes(policy: Record<string, unknown>): string[] {
  const notes: string[] = [];
  const guards = (policy.guards ?? {}) as Record<string, unknown>;
  for (const pack of BUILTIN_GUARD_PACKS) {
    if (guards[pack.id] === false) continue;
    notes.push(
      `guard pack "${pack.id}" is on in v2 (${pack.guards.length} guards: ${pack.description}); write "guards: { ${pack.id}: false }" to keep v1's reading`,
    );
  }
  const servers = (policy.servers ?? {}) as Record<string, unknown>;
  for (const name of Object.keys(servers)) {
    const profile = matchServerProfile(BUILTIN_PROFILES, { name })?.profile;
    if (!profile) continue;
    const readOnlySql = Object.keys(profile.tools).filter((t) => {
      const e = profileTool(profile, t)?.entry;
      return e?.scopes?.tables?.sql !== undefined && e.classes?.includes("read");
    });
    if (readOnlySql.length > 0) {
      notes.push(
        `server "${name}" reads as profile "${profile.server}": ${
          readOnlySql.map((t) => `"${t}"`).join(", ")
        } now only run one read-only SQL statement (set "tools: { <tool>: { sql: any } }" to keep v1's reading)`,
      );
    }
  }
  for (const [name, raw] of Object.entries(servers)) {
    const s = (raw ?? {}) as Record<string, unknown>;
    for (const key of ["allowed_tools", "denied_tools"]) {
      const list = s[key];
      if (Array.isArray(list) && list.some((t) => typeof t === "string" && t.startsWith("class:"))) {
        notes.push(`servers.${name}.${key}: "class:<name>" entries now name tool classes, not tools`);
      }
    }
  }
  return notes;
}
