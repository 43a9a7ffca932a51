import {
  Document,
  isMap,
  isScalar,
  isSeq,
  type Node,
  type Pair,
  parseDocument,
  type Scalar,
  YAMLMap,
} from "yaml";
import type { Policy } from "../policy/mod.ts";
import { commentKey } from "./infer_policy.ts";

/** Options for {@link renderPolicy}. */
export interface RenderOptions {
  /** Lines for the comment at the top of the file (without `#`). */
  header?: string[];
  /** Evidence comments keyed by `commentKey()`; list items by value, maps by their key. */
  comments?: ReadonlyMap<string, string>;
}

// Key order in the written file: the v1 fields first, then extensions, as the README shows them.
const SERVER_KEY_ORDER = [
  "allowed_tools",
  "denied_tools",
  "allowed_paths",
  "denied_paths",
  "denied_patterns",
  "allowed_hosts",
  "denied_hosts",
  "allowed_methods",
  "deny_sampling",
  "deny_elicitation",
  "sandbox",
  "profile",
  "scopes",
  "tools",
];
const TOP_KEY_ORDER = ["version", "servers", "approvals", "redaction", "guards", "profiles", "session_rules"];

/**
 * Writes a policy as YAML with an evidence comment on each entry, through the `yaml` Document API. Keys follow
 * the documented order and lists keep their (sorted) order, so equal inputs give byte-identical text.
 *
 * @param policy the policy to write
 * @param opts header lines and evidence comments
 * @returns the YAML text
 */
export function renderPolicy(policy: Policy, opts: RenderOptions = {}): string {
  const doc = new Document(ordered(policy, TOP_KEY_ORDER));
  const comments = opts.comments ?? new Map<string, string>();
  const root = doc.contents as YAMLMap;
  const servers = root.get("servers", true);
  if (isMap(servers)) {
    let first = true;
    for (const pair of servers.items) {
      const name = String((pair.key as Scalar).value);
      const keyNode = pair.key as Scalar;
      keyNode.commentBefore = comments.get(commentKey("servers", name)) ?? null;
      if (!first) keyNode.spaceBefore = true;
      first = false;
      if (isMap(pair.value)) {
        const ordered = orderMap(pair.value, SERVER_KEY_ORDER);
        pair.value = ordered;
        annotateMap(ordered, ["servers", name], comments);
      }
    }
  }
  const approvals = root.get("approvals", true);
  if (isMap(approvals)) annotateMap(approvals, ["approvals"], comments);
  for (const key of ["servers", "approvals", "redaction", "guards", "session_rules"]) {
    const pair = root.items.find((p) => isScalar(p.key) && p.key.value === key);
    if (pair && isScalar(pair.key)) pair.key.spaceBefore = true;
  }
  const rules = root.items.find((p) => isScalar(p.key) && p.key.value === "session_rules");
  const rulesComment = comments.get(commentKey("session_rules"));
  if (rules && isScalar(rules.key) && rulesComment !== undefined) {
    rules.key.commentBefore = oneLine(rulesComment);
  }
  if (opts.header?.length) doc.commentBefore = opts.header.map((l) => ` ${oneLine(l)}`).join("\n");
  return doc.toString({ lineWidth: 0, indentSeq: true });
}

function annotateMap(map: YAMLMap, path: string[], comments: ReadonlyMap<string, string>): void {
  for (const pair of map.items) {
    const key = String((pair.key as Scalar).value);
    const here = [...path, key];
    const c = comments.get(commentKey(...here));
    if (c !== undefined && isScalar(pair.key)) pair.key.commentBefore = oneLine(c);
    const v = pair.value as Node | null;
    if (isSeq(v)) {
      let commented = false;
      for (const item of v.items) {
        if (!isScalar(item)) continue;
        const ic = comments.get(commentKey(...here, String(item.value)));
        if (ic !== undefined) {
          item.comment = oneLine(ic);
          commented = true;
        }
      }
      // Lists without evidence (seeded secrets, hand-written entries) stay on one line.
      if (!commented) v.flow = true;
    } else if (isMap(v)) annotateMap(v, here, comments);
  }
}

function orderMap(map: YAMLMap, order: string[]): YAMLMap {
  const rank = (p: Pair) => {
    const i = order.indexOf(String((p.key as Scalar).value));
    return i < 0 ? order.length : i;
  };
  const out = new YAMLMap();
  out.items = [...map.items].sort((a, b) => rank(a as Pair) - rank(b as Pair)) as Pair[];
  return out;
}

function ordered(policy: Policy, order: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const p = policy as Record<string, unknown>;
  for (const k of order) if (p[k] !== undefined) out[k] = p[k];
  for (const k of Object.keys(p)) if (!(k in out) && p[k] !== undefined) out[k] = p[k];
  return out;
}

// A comment must stay on its line: YAML comments end at a newline, and a stray one would break the file.
function oneLine(s: string): string {
  return s.replace(/[\r\n\u2028\u2029]+/g, " ");
}

/**
 * Reads the comments of a hand-written policy, keyed like evidence comments (`commentKey()`), so `--merge` can
 * keep them: a comment above a key, and a comment on (or above) a list item, by the item's value.
 * @param text the policy's YAML text
 * @returns comments by key (without the leading `#`)
 */
export function readPolicyComments(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const doc = parseDocument(text);
  const walk = (node: unknown, path: string[]) => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isScalar(pair.key)) continue;
        const here = [...path, String(pair.key.value)];
        const c = pair.key.commentBefore ?? (isScalar(pair.value) ? pair.value.comment : undefined);
        if (c) out.set(commentKey(...here), oneLine(c));
        walk(pair.value, here);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) {
        if (!isScalar(item)) continue;
        const c = item.comment ?? item.commentBefore;
        if (c) out.set(commentKey(...path, String(item.value)), oneLine(c));
      }
    }
  };
  walk(doc.contents, []);
  return out;
}
