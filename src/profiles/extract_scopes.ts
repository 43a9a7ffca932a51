import { parseAllDocuments } from "yaml";
import { classifySql } from "../sql/mod.ts";
import { type PointedValue, resolvePointer } from "./_pointer.ts";
import { domainOf, readRecipients } from "./_recipients.ts";
import { repoFromFullName, repoFromParts, repoFromUrl, type RepoReading } from "./_repos.ts";
import type { ExtractedScopes, RepoRef, ServerProfileDescriptor, ToolProfile, ValueRef } from "./types.ts";

/** The most scope values read from one call; more is unreadable (a call cannot make the check slow). */
export const MAX_SCOPE_VALUES = 1000;

/**
 * Finds a profile's entry for a tool: the exact name first, then the first glob (`*`, `?`) that matches.
 * @param profile a server profile
 * @param tool the tool's name
 * @returns the key and entry, or undefined when the profile does not know the tool
 */
export function profileTool(
  profile: ServerProfileDescriptor,
  tool: string,
): { key: string; entry: ToolProfile } | undefined {
  if (Object.hasOwn(profile.tools, tool)) return { key: tool, entry: profile.tools[tool]! };
  let globs = GLOBS.get(profile);
  if (globs === undefined) {
    globs = Object.keys(profile.tools).filter((k) => k.includes("*") || k.includes("?"))
      .map((k) => [k, globToRegExp(k)] as const);
    GLOBS.set(profile, globs);
  }
  for (const [key, re] of globs) if (re.test(tool)) return { key, entry: profile.tools[key]! };
  return undefined;
}

// Compiled tool globs per profile; profiles are data and never change after definition.
const GLOBS = new WeakMap<ServerProfileDescriptor, (readonly [string, RegExp])[]>();

/**
 * Turns a name glob into an anchored RegExp: `*` any run of characters, `?` one; everything else literal.
 * @param glob the glob
 * @returns the RegExp
 */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`, "s");
}

/**
 * Reads the resource scopes of one call from a server profile: repositories, recipients and their domains,
 * channels, tables (by parsing SQL), namespaces, kinds and hosts. Pure. A value that should carry a scope
 * but cannot be read (a repository name with a `/`, a recipient that is not an address, SQL that does not
 * parse, a manifest that is not YAML) is listed in `unreadable`, so `decide()` can fail closed.
 *
 * Call `loadSqlParsers()` from `src/sql` once before, when a profile reads SQL.
 *
 * @param profile the server's profile
 * @param tool the tool called
 * @param args the call's arguments
 * @returns the scopes, sorted and unique
 */
export function extractScopes(
  profile: ServerProfileDescriptor,
  tool: string,
  args: unknown,
): ExtractedScopes {
  const out = new Collector();
  const found = profileTool(profile, tool);
  if (found === undefined) return out.result(undefined);
  const spec = found.entry.scopes ?? {};
  const doc = args ?? {};
  const repos = spec.repos === undefined ? [] : Array.isArray(spec.repos) ? spec.repos : [spec.repos];
  for (const r of repos) readRepo(doc, r, out);
  for (const ref of spec.recipients ?? []) {
    for (const v of values(doc, ref, out)) {
      const got = readRecipients(v.value);
      if (got.ok) got.addresses.forEach((a) => out.add("recipients", a));
      else out.unreadable(v.at, got.why);
    }
  }
  for (const ref of spec.channels ?? []) {
    for (const v of values(doc, ref, out)) {
      const s = asText(v, out);
      if (s !== undefined) out.add("channels", s.replace(/^#/, "").toLowerCase());
    }
  }
  for (const [key, refs] of [["namespaces", spec.namespaces], ["kinds", spec.kinds]] as const) {
    for (const ref of refs ?? []) {
      for (const v of values(doc, ref, out)) {
        const s = asText(v, out);
        if (s !== undefined) out.add(key, s.toLowerCase());
      }
    }
  }
  for (const ref of spec.manifests ?? []) {
    for (const v of values(doc, ref, out)) readManifest(v, out);
  }
  for (const ref of spec.hosts ?? []) {
    for (const v of values(doc, ref, out)) {
      const h = readHost(v.value);
      if (h === undefined) out.unreadable(v.at, `${JSON.stringify(v.value)} is not a URL or host`);
      else out.add("hosts", h);
    }
  }
  if (spec.tables) {
    for (const ref of spec.tables.names ?? []) {
      for (const v of values(doc, ref, out)) {
        const s = asText(v, out);
        if (s !== undefined) out.add("tables", s);
      }
    }
    if (spec.tables.sql !== undefined) {
      for (const v of values(doc, spec.tables.sql, out)) {
        if (typeof v.value !== "string") {
          out.unreadable(v.at, "the SQL is not a string");
          continue;
        }
        const c = classifySql(v.value, { dialect: spec.tables.dialect });
        out.sql.push({ at: v.at, readOnly: c.readOnly, statements: c.statements, problems: c.problems });
        c.tables.forEach((t) => out.add("tables", t));
        if (c.statements === 0) out.unreadable(v.at, c.problems[0] ?? "the SQL could not be read");
      }
    }
  }
  return out.result(found.key);
}

type ListKey = "repos" | "recipients" | "channels" | "tables" | "namespaces" | "kinds" | "hosts";

class Collector {
  // Made on first use: most calls fill one list or none.
  readonly lists: Partial<Record<ListKey, Set<string>>> = {};
  readonly sql: ExtractedScopes["sql"] = [];
  readonly problems: string[] = [];
  count = 0;

  add(key: ListKey, value: string): void {
    if (++this.count > MAX_SCOPE_VALUES) {
      if (this.count === MAX_SCOPE_VALUES + 1) {
        this.problems.push(`more than ${MAX_SCOPE_VALUES} scope values`);
      }
      return;
    }
    (this.lists[key] ??= new Set()).add(value);
  }

  unreadable(at: string, why: string): void {
    this.problems.push(`${at || "/"}: ${why}`);
  }

  result(matched: string | undefined): ExtractedScopes {
    const sorted = (k: ListKey) => {
      const set = this.lists[k];
      return set === undefined ? [] : [...set].sort();
    };
    const recipients = sorted("recipients");
    return {
      ...(matched === undefined ? {} : { matched }),
      repos: sorted("repos"),
      recipients,
      recipientDomains: recipients.length === 0 ? [] : [...new Set(recipients.map(domainOf))].sort(),
      channels: sorted("channels"),
      tables: sorted("tables"),
      namespaces: sorted("namespaces"),
      kinds: sorted("kinds"),
      hosts: sorted("hosts"),
      sql: this.sql,
      unreadable: this.problems.length === 0 ? [] : [...new Set(this.problems)],
    };
  }
}

/** The values a ref reaches: arrays are walked item by item, null and absent give the default or nothing. */
function values(doc: unknown, ref: ValueRef, out: Collector): PointedValue[] {
  const r = typeof ref === "string" ? { from: ref } : ref;
  const found = resolvePointer(doc, r.from);
  const got: PointedValue[] = [];
  for (const v of found) {
    if (Array.isArray(v.value)) v.value.forEach((x, i) => got.push({ at: `${v.at}/${i}`, value: x }));
    else if (typeof v.value === "boolean" && r.ifTrue !== undefined) {
      if (v.value) got.push({ at: v.at, value: r.ifTrue });
    } else if (v.value !== null && v.value !== undefined) got.push(v);
  }
  if (
    found.filter((v) => v.value !== null && v.value !== undefined).length === 0 && r.default !== undefined
  ) {
    got.push({ at: `${r.from} (default)`, value: r.default });
  }
  if (got.length > MAX_SCOPE_VALUES) {
    out.unreadable(r.from, `more than ${MAX_SCOPE_VALUES} values`);
    return got.slice(0, MAX_SCOPE_VALUES);
  }
  return got;
}

function asText(v: PointedValue, out: Collector): string | undefined {
  if (typeof v.value === "string" && v.value.trim() !== "") return v.value.trim();
  out.unreadable(v.at, `${JSON.stringify(v.value)} is not a name`);
  return undefined;
}

function readRepo(doc: unknown, ref: RepoRef, out: Collector): void {
  const take = (at: string, r: RepoReading) => {
    if (r.ok) out.add("repos", r.repo);
    else out.unreadable(at, r.why);
  };
  if ("owner" in ref) {
    const owners = values(doc, ref.owner, out);
    const names = values(doc, ref.repo, out);
    if (owners.length === 0 && names.length === 0) return;
    if (owners.length !== 1 || names.length !== 1) {
      const at = (owners[0] ?? names[0])?.at ?? "";
      out.unreadable(
        at,
        `needs exactly one owner and one repository name (got ${owners.length} and ${names.length})`,
      );
      return;
    }
    take(names[0]!.at, repoFromParts(owners[0]!.value, names[0]!.value));
  } else if ("fullName" in ref) {
    for (const v of values(doc, ref.fullName, out)) take(v.at, repoFromFullName(v.value));
  } else {
    for (const v of values(doc, ref.url, out)) take(v.at, repoFromUrl(v.value));
  }
}

function readHost(value: unknown): string | undefined {
  if (typeof value !== "string" || value.trim() === "") return undefined;
  const v = value.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? v : `http://${v}`;
  try {
    const u = new URL(withScheme);
    if (u.hostname === "") return undefined;
    return u.hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

function readManifest(v: PointedValue, out: Collector): void {
  if (typeof v.value === "object" && v.value !== null) {
    addManifestDoc(v.at, v.value, out);
    return;
  }
  if (typeof v.value !== "string") {
    out.unreadable(v.at, "a manifest must be YAML or JSON text");
    return;
  }
  let docs;
  try {
    docs = parseAllDocuments(v.value, { uniqueKeys: true });
  } catch (e) {
    out.unreadable(v.at, `not YAML: ${e instanceof Error ? e.message : String(e)}`);
    return;
  }
  const list = Array.isArray(docs) ? docs : [docs];
  for (const d of list) {
    if (d.errors.length > 0) {
      out.unreadable(v.at, `not YAML: ${d.errors[0]?.message ?? "parse error"}`);
      continue;
    }
    const js = d.toJS({ maxAliasCount: 100 });
    if (js !== null && js !== undefined) addManifestDoc(v.at, js, out);
  }
}

function addManifestDoc(at: string, doc: unknown, out: Collector): void {
  const d = doc as { kind?: unknown; metadata?: { namespace?: unknown }; items?: unknown };
  if (typeof d !== "object" || d === null || typeof d.kind !== "string") {
    out.unreadable(at, "a manifest document without a kind");
    return;
  }
  if (d.kind === "List" && Array.isArray(d.items)) {
    d.items.forEach((item, i) => addManifestDoc(`${at}/items/${i}`, item, out));
    return;
  }
  out.add("kinds", d.kind.toLowerCase());
  const ns = d.metadata?.namespace;
  if (typeof ns === "string" && ns !== "") out.add("namespaces", ns.toLowerCase());
  else if (ns !== undefined) out.unreadable(at, "a manifest namespace that is not a name");
}
