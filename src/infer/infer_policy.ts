import { isWithin } from "../canonical/mod.ts";
import type { PolicyV1, SandboxV1, ServerPolicyV1 } from "../policy/mod.ts";
import {
  classifyToolName as classifyTool,
  type DangerCategory,
  type ToolAnnotations,
  type ToolClass,
} from "../profiles/mod.ts";
import { type CoverEntry, coverPaths } from "./cover_paths.ts";
import { isTooBroadPath, SEEDED_DENIED_PATHS, SEEDED_DENIED_PATTERNS } from "./sensitive_paths.ts";
import { type NotLearned, SHELL_LIKE_KEYS, type TraceAccumulator } from "./trace_accumulator.ts";

/** Options for {@link inferPolicy}. */
export interface InferOptions {
  /** Directory the policy file will live in: entries inside it are written `./…`. */
  baseDir: string;
  /** Home directory: entries inside it are written `~/…`; it is never allowlisted. */
  home: string;
  /** Distinct entries directly under a directory needed to generalize to it (default 3). */
  minEntries?: number;
  /** Tool annotations per server from `mcp.lock` (used when the traces have none). */
  lockTools?: ReadonlyMap<string, ReadonlyMap<string, ToolAnnotations | undefined>>;
}

/** An inferred policy with the evidence behind every entry. */
export interface InferResult {
  /** The policy, valid for `parsePolicy()`. */
  policy: PolicyV1;
  /** Evidence comments keyed by {@link commentKey}. */
  comments: Map<string, string>;
  /** Per-server facts for the summary. */
  servers: InferredServer[];
  /** Calls seen but not learned, sorted. */
  notLearned: NotLearned[];
  /** Secret paths calls touched, sorted (never allowlisted). */
  sensitive: { path: string; calls: number }[];
}

/** What inference decided for one server. */
export interface InferredServer {
  /** Server name. */
  name: string;
  /** Calls seen. */
  calls: number;
  /** Tools allowed outright, with learned call counts and the keys that multiplex them. */
  allowedTools: { name: string; calls: number; multiplexed?: string[] }[];
  /** Tools put on the approval list, and why. */
  approvals: {
    name: string;
    calls: number;
    why: string;
    categories: DangerCategory[];
    multiplexed?: string[];
  }[];
  /** Dangerous tools offered but never used. */
  deniedTools: { name: string; why: string }[];
  /** Path entries as written, with their evidence. */
  allowedPaths: { entry: string; cover: CoverEntry }[];
  /** Learned paths first used after untrusted input, sorted, with the call that brought the input in. */
  afterUntrusted: { path: string; source: string }[];
  /** Host entries with call counts. */
  allowedHosts: { entry: string; calls: number }[];
  /** Sandbox entries, when the containment layer recorded audits. */
  sandbox?: SandboxV1;
}

/**
 * Builds the comment key of a policy node: the YAML path joined with NUL, with sequence items addressed by value.
 * @param path keys (and, for list items, the item's value)
 * @returns the key
 */
export function commentKey(...path: string[]): string {
  return path.join("\u0000");
}

/**
 * Turns accumulated observations into the least-privilege policy: per server the tools used (dangerous ones and
 * human-approved ones on the approval list instead), the tightest path cover, the hosts used, seeded secret
 * denies, dangerous offered-but-unused tools denied by their real names, and a sandbox block from containment
 * audits. Deterministic: every list is sorted and evidence picks the smallest examples.
 *
 * @param acc the accumulated traces
 * @param opts where the policy will live, home, threshold, lock annotations
 * @returns the policy with evidence
 */
export function inferPolicy(acc: TraceAccumulator, opts: InferOptions): InferResult {
  acc.end();
  const comments = new Map<string, string>();
  const servers: InferredServer[] = [];
  const policyServers: Record<string, ServerPolicyV1> = {};
  const approvalEntries = new Map<string, string>();
  const show = (abs: string) => displayPath(abs, opts);
  for (const name of [...acc.servers.keys()].sort(cmp)) {
    const s = acc.servers.get(name)!;
    const lock = opts.lockTools?.get(name);
    const classOf = (tool: string): ToolClass =>
      classifyTool(tool, s.offered.get(tool) ?? lock?.get(tool) ?? undefined);
    const out: InferredServer = {
      name,
      calls: s.calls,
      allowedTools: [],
      approvals: [],
      deniedTools: [],
      allowedPaths: [],
      allowedHosts: [],
      afterUntrusted: [...s.afterUntrusted].sort(([a], [b]) => cmp(a, b)).map(([path, source]) => ({
        path,
        source,
      })),
    };
    for (const tool of [...s.tools.keys()].sort(cmp)) {
      const use = s.tools.get(tool)!;
      let c = classOf(tool);
      const shellKey = use.multiplexKeys?.find((k) => SHELL_LIKE_KEYS.has(k));
      if (shellKey && !c.categories.includes("shell")) {
        // A tool that takes a command string is a shell in all but name.
        const categories = [...new Set<DangerCategory>([...c.categories, "shell"])].sort();
        c = { dangerous: true, categories, source: "name", why: `takes a "${shellKey}" argument` };
      }
      const calls = use.learned + use.approved;
      const multiplexed = use.multiplexKeys?.length ? use.multiplexKeys : undefined;
      if (use.approved > 0 || c.dangerous) {
        const why = use.approved > 0
          ? `a human approved it ${use.approved}x`
          : `dangerous (${c.categories.join(", ")}: ${c.why})`;
        out.approvals.push({ name: tool, calls, why, categories: c.categories, multiplexed });
      } else if (use.learned > 0) out.allowedTools.push({ name: tool, calls: use.learned, multiplexed });
    }
    const used = new Set(s.tools.keys());
    const offered = new Set([...s.offered.keys(), ...(lock?.keys() ?? [])]);
    for (const tool of [...offered].sort(cmp)) {
      if (used.has(tool)) continue;
      const c = classOf(tool);
      if (c.dangerous) {
        out.deniedTools.push({
          name: tool,
          why: `offered, never used; ${c.categories.join(", ")}: ${c.why}`,
        });
      }
    }
    // Dangerous tools the agent tried but that were never learned (denied, failed) are denied too.
    for (const n of acc.notLearned.values()) {
      if (n.server !== name || used.has(n.tool) || offered.has(n.tool) || n.tool.includes("/")) continue;
      const c = classOf(n.tool);
      if (c.dangerous && !out.deniedTools.some((d) => d.name === n.tool)) {
        out.deniedTools.push({
          name: n.tool,
          why: `tried, never learned; ${c.categories.join(", ")}: ${c.why}`,
        });
      }
    }
    out.deniedTools.sort((a, b) => cmp(a.name, b.name));
    const cover = coverPaths(s.paths, {
      home: opts.home,
      minEntries: opts.minEntries,
      roots: [...s.workdirs, opts.baseDir],
    });
    const byEntry = new Map<string, CoverEntry>();
    for (const c of cover) byEntry.set(show(c.path), c);
    const byEntryAbs = new Set(cover.map((c) => c.path));
    out.allowedPaths = [...byEntry].sort(([a], [b]) => cmp(a, b)).map(([entry, c]) => ({ entry, cover: c }));
    out.allowedHosts = [...s.hosts].sort(([a], [b]) => cmp(a, b)).map(([entry, calls]) => ({ entry, calls }));
    out.sandbox = inferSandbox(s.sandbox, opts, comments, name);

    const sp: ServerPolicyV1 = {
      allowed_tools: out.allowedTools.map((t) => t.name),
      ...(out.deniedTools.length > 0 ? { denied_tools: out.deniedTools.map((t) => t.name) } : {}),
      allowed_paths: out.allowedPaths.map((p) => p.entry),
      denied_paths: [...SEEDED_DENIED_PATHS],
      denied_patterns: [...SEEDED_DENIED_PATTERNS],
      allowed_hosts: out.allowedHosts.map((h) => h.entry),
      ...(s.methods.size > 0 ? { allowed_methods: [...s.methods.keys()].sort(cmp) } : {}),
      ...(out.sandbox ? { sandbox: out.sandbox } : {}),
    };
    policyServers[name] = sp;

    const learned = out.allowedTools.reduce((n, t) => n + t.calls, 0);
    comments.set(
      commentKey("servers", name),
      ` ${name}: ${s.calls} call(s) seen, ${learned} learned as plain allows, ${out.approvals.length} tool(s) need approval`,
    );
    for (const t of out.allowedTools) {
      comments.set(
        commentKey("servers", name, "allowed_tools", t.name),
        ` ${t.calls} call(s)${
          t.multiplexed ? `; multiplexed by ${t.multiplexed.map((k) => `"${k}"`).join(", ")}: review` : ""
        }`,
      );
    }
    if (out.allowedTools.length === 0) {
      comments.set(
        commentKey("servers", name, "allowed_tools"),
        " no call was learned: every tool is denied",
      );
    }
    for (const t of out.deniedTools) {
      comments.set(commentKey("servers", name, "denied_tools", t.name), ` ${t.why}`);
    }
    // Which cover entry holds each path first used after untrusted input (ancestor lookup, not a scan).
    const taintOf = new Map<string, string>();
    for (const { path, source } of out.afterUntrusted) {
      for (let cur = path; cur.length > 0; cur = cur.slice(0, Math.max(0, cur.lastIndexOf("/")))) {
        if (byEntryAbs.has(cur)) {
          if (!taintOf.has(cur)) taintOf.set(cur, source);
          break;
        }
      }
    }
    for (const p of out.allowedPaths) {
      const c = p.cover;
      const ex = c.examples.filter((e) => e !== c.path).map(show).slice(0, 2);
      const source = taintOf.get(c.path);
      const after = source !== undefined ? `; first used after untrusted input from ${source}: review` : "";
      const what = c.kind === "generalized"
        ? `${c.distinct} paths under it`
        : c.distinct > 1
        ? `${c.distinct} paths`
        : "used as is";
      comments.set(
        commentKey("servers", name, "allowed_paths", p.entry),
        ` ${c.calls} call(s), ${what}${ex.length ? `, e.g. ${ex.join(", ")}` : ""}${after}`,
      );
    }
    if (out.allowedPaths.length === 0) {
      comments.set(commentKey("servers", name, "allowed_paths"), " no path was used: every path is denied");
    }
    comments.set(commentKey("servers", name, "denied_paths"), " secrets: never allowed (seeded)");
    comments.set(commentKey("servers", name, "denied_patterns"), " secret files: never allowed (seeded)");
    for (const h of out.allowedHosts) {
      comments.set(commentKey("servers", name, "allowed_hosts", h.entry), ` ${h.calls} call(s)`);
    }
    if (out.allowedHosts.length === 0) {
      comments.set(commentKey("servers", name, "allowed_hosts"), " no URL was used: every host is denied");
    }
    for (const [m, n] of s.methods) {
      comments.set(commentKey("servers", name, "allowed_methods", m), ` ${n} call(s)`);
    }
    for (const a of out.approvals) {
      const entry = `${name}.${a.name}`;
      approvalEntries.set(entry, ` ${a.calls} call(s); ${a.why}`);
    }
    servers.push(out);
  }
  const approvals = [...approvalEntries.keys()].sort(cmp);
  for (const a of approvals) {
    comments.set(commentKey("approvals", "require_human_approval", a), approvalEntries.get(a)!);
  }
  const policy: PolicyV1 = {
    version: 1,
    servers: policyServers,
    approvals: { require_human_approval: approvals },
    redaction: { secrets: true, emails: true, api_keys: true },
  };
  const notLearned = [...acc.notLearned.values()].sort((a, b) =>
    cmp(a.server, b.server) || cmp(a.tool, b.tool) || cmp(a.reason, b.reason)
  );
  const sensitive = [...acc.sensitive].sort(([a], [b]) => cmp(a, b)).map(([path, calls]) => ({
    path,
    calls,
  }));
  return { policy, comments, servers, notLearned, sensitive };
}

function inferSandbox(
  sb: {
    read: Map<string, number>;
    write: Map<string, number>;
    net: Map<string, number>;
    env: Map<string, number>;
  },
  opts: InferOptions,
  comments: Map<string, string>,
  name: string,
): SandboxV1 | undefined {
  if (sb.read.size + sb.write.size + sb.net.size + sb.env.size === 0) return undefined;
  const out: SandboxV1 = {};
  for (const kind of ["read", "write"] as const) {
    const usable = new Map([...sb[kind]].filter(([p]) => !isTooBroadPath(p, opts.home)));
    const cover = coverPaths(usable, { home: opts.home, minEntries: opts.minEntries });
    const entries = [...new Set(cover.map((c) => displayPath(c.path, opts)))].sort(cmp);
    out[kind] = entries;
    for (const c of cover) {
      comments.set(
        commentKey("servers", name, "sandbox", kind, displayPath(c.path, opts)),
        ` ${c.calls} audit record(s)${c.kind === "generalized" ? `, ${c.distinct} paths under it` : ""}`,
      );
    }
  }
  out.net = [...sb.net.keys()].sort(cmp);
  out.env = [...sb.env.keys()].sort(cmp);
  comments.set(
    commentKey("servers", name, "sandbox"),
    " OS-level access the server itself needed (strace in the OS sandbox, or Deno permission audits)",
  );
  return out;
}

/**
 * How an absolute path is written in a policy: `./…` inside the policy's directory, `~/…` inside home, else
 * absolute.
 * @param abs an absolute normalized path
 * @param opts the policy's directory and home
 * @returns the entry text
 */
export function displayPath(abs: string, opts: { baseDir: string; home: string }): string {
  if (opts.baseDir !== "/" && isWithin(abs, opts.baseDir)) {
    return abs === opts.baseDir ? "." : `./${abs.slice(opts.baseDir.length + 1)}`;
  }
  if (opts.home !== "/" && opts.home !== "" && isWithin(abs, opts.home)) {
    return abs === opts.home ? "~" : `~/${abs.slice(opts.home.length + 1)}`;
  }
  return abs;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
