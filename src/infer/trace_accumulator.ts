import { bareCall, type CanonicalCall, canonicalizeCall, resolvePath } from "../canonical/mod.ts";
import { GUARDS, JUDGED_METHODS, PASSTHROUGH_METHODS } from "../decision/mod.ts";
import { CallResultJoiner, readTraceLine, type TraceEventV1 } from "../trace/mod.ts";
import type { ServerProfileDescriptor, ToolAnnotations } from "../profiles/mod.ts";
import { ScopeLearner } from "./learn_scopes.ts";
import { SessionRuleLearner } from "./learn_session_rule.ts";
import { isSensitivePath, isTooBroadPath } from "./sensitive_paths.ts";

/** Why a call that was seen was not learned. */
export type NotLearnedReason =
  | "denied"
  | "approval refused"
  | "failed"
  | "tool error"
  | "no result recorded"
  | "not forwarded"
  | "blocked by the sandbox"
  | "blocked by a guard"
  | "sensitive path"
  | "too broad path"
  | "path with glob characters"
  | "malformed call";

/** A group of calls seen but not learned. */
export interface NotLearned {
  /** Server name. */
  server: string;
  /** Tool (or method) name. */
  tool: string;
  /** Why. */
  reason: NotLearnedReason;
  /** How many calls. */
  count: number;
  /** One detail, e.g. the rule that denied it or the path (the smallest, for determinism). */
  example: string;
}

/** A line that could not be read. */
export interface MalformedLine {
  /** File name as given. */
  file: string;
  /** 1-based line number. */
  line: number;
  /** What is wrong. */
  message: string;
}

/** What was learned about one tool. */
export interface ToolUse {
  /** Calls learned as plain allows. */
  learned: number;
  /** Calls a human approved (or that the policy in force sent to approval). */
  approved: number;
  /**
   * Top-level argument keys that select what a multiplexed tool does (`command`, `sql`, `action`…), sorted. One
   * allowed name then covers many actions, so inference flags it.
   */
  multiplexKeys?: string[];
}

/** Everything observed about one server. */
export interface ServerObservations {
  /** Server name. */
  name: string;
  /** Tools used successfully, by real name. */
  tools: Map<string, ToolUse>;
  /** Extra (non-tool) methods used successfully. */
  methods: Map<string, number>;
  /** Distinct absolute paths used by learned calls, with call counts. */
  paths: Map<string, number>;
  /** Hosts (`host` or `host:port`) used by learned calls, with call counts. */
  hosts: Map<string, number>;
  /** Tools the server offered (recorded `tools/list`), with annotations. */
  offered: Map<string, ToolAnnotations | undefined>;
  /** OS-level accesses recorded by the containment layer (Deno permission audits). */
  sandbox: {
    read: Map<string, number>;
    write: Map<string, number>;
    net: Map<string, number>;
    env: Map<string, number>;
  };
  /** Calls seen (judged methods only). */
  calls: number;
  /**
   * Paths first used after untrusted input entered the session (a result from an open-world tool or a URL
   * fetch): learned, but flagged for review, with the call that brought the input in.
   */
  afterUntrusted: Map<string, string>;
  /**
   * The working folders learned calls resolved their relative paths in (their realpath too), at most
   * {@link MAX_WORKDIRS}: a folder an agent works in is never widened to whole (`.` would give `.git/hooks`).
   */
  workdirs: Set<string>;
}

/** Working folders remembered per server. */
export const MAX_WORKDIRS = 64;

/** Options for {@link TraceAccumulator}. */
export interface AccumulatorOptions {
  /** Directory relative paths in the original's traces resolve against (v1 events carry their own `cwd`). */
  cwd: string;
  /** Home directory for `~`. */
  home: string;
  /** Symlink resolution; learned paths keep every form so enforcement with realpath still allows them. */
  realpath?: (abs: string) => string | undefined;
  /** Keep at most this many malformed-line reports (all are counted). Default 1000. */
  maxMalformed?: number;
  /** Server profiles for format 2 learning (default: the built-in ones), matched by server name. */
  profiles?: readonly ServerProfileDescriptor[];
  /** Told about every call that was learned (`approval` when it went to the approval list); for proofs. */
  onLearn?: (call: LearnedCall) => void;
}

/** A call that was learned, as the proxy would see it again. */
export interface LearnedCall {
  /** Server name. */
  server: string;
  /** JSON-RPC method. */
  method: string;
  /** Tool name for tools/call. */
  tool?: string;
  /** Arguments (tools/call) or params (other methods) as traced. */
  arguments: unknown;
  /** The cwd relative paths resolved against. */
  cwd: string;
  /** True when it was learned as an approval rather than a plain allow. */
  approval: boolean;
}

const AUDIT_KINDS = new Set(["read", "write", "net", "env"]);
const GLOB_CHARS_REGEXP = /[*?[\]{}]/;

/**
 * Streams trace events (the proxy's v1 JSONL and the original's JSONL) into per-server observations, keeping
 * only aggregates so a million lines fit in little memory. Only calls that were allowed and succeeded are learned;
 * approved calls go to approvals; everything else is counted as "seen, not learned" with its reason. Pure: the
 * caller reads the files.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TraceAccumulator } from "./trace_accumulator.ts";
 * const acc = new TraceAccumulator({ cwd: "/p", home: "/home/u" });
 * acc.addLine('{"ts":1,"server":"fs","tool":"read","args":{"path":"./a.txt"},"decision":"allow"}', { file: "t.jsonl", line: 1 });
 * assert.ok(acc.servers.get("fs")!.paths.has("/p/a.txt"));
 * ```
 */
export class TraceAccumulator {
  /** Observations per server. */
  readonly servers: Map<string, ServerObservations> = new Map();
  /** Lines that could not be read (capped at `maxMalformed`). */
  readonly malformed: MalformedLine[] = [];
  /** Calls seen but not learned, grouped by server, tool and reason. */
  readonly notLearned: Map<string, NotLearned> = new Map();
  /** Sensitive paths that calls touched (never allowlisted), with call counts. */
  readonly sensitive: Map<string, number> = new Map();
  /** Format 2 facts of the learned calls: scopes, SQL, classes (#18 item 8). */
  readonly scopes: ScopeLearner;
  /** Whether the sessions support the session rule `untrusted-then-send`. */
  readonly sessionRule: SessionRuleLearner = new SessionRuleLearner();
  /** Counters. */
  readonly counts = { lines: 0, events: 0, calls: 0, learned: 0, approved: 0, malformed: 0 };

  #opts: AccumulatorOptions;
  #realpath?: (abs: string) => string | undefined;
  // Traces repeat the same calls and paths many times: canonicalizing (and realpath syscalls) once per distinct
  // call keeps a million lines within seconds. Both caches are bounded.
  #facts = new Map<string, CallFacts>();
  #realpaths = new Map<string, string | undefined>();

  /** @param opts cwd and home for the original's relative paths, optional realpath */
  constructor(opts: AccumulatorOptions) {
    this.#opts = opts;
    this.scopes = new ScopeLearner({ profiles: opts.profiles });
    const rp = opts.realpath;
    if (rp) {
      this.#realpath = (abs) => {
        if (this.#realpaths.has(abs)) return this.#realpaths.get(abs);
        if (this.#realpaths.size >= CACHE_MAX) this.#realpaths.clear();
        const r = rp(abs);
        this.#realpaths.set(abs, r);
        return r;
      };
    }
  }

  #toolGuards = new Map<string, string | undefined>();
  #untrusted = new Map<string, string>();

  /** The tool-name guard, once per distinct name. */
  #toolGuard(server: string, tool: string): string | undefined {
    if (this.#toolGuards.has(tool)) return this.#toolGuards.get(tool);
    const call: CanonicalCall = { ...bareCall(server, "tools/call", "client"), tool };
    const hit = TOOL_GUARDS.find((g) => g.check(call) !== undefined);
    const r = hit ? `guard/${hit.id}` : undefined;
    if (this.#toolGuards.size < CACHE_MAX) this.#toolGuards.set(tool, r);
    return r;
  }

  #withPathChecks(f: CallFacts): CallFacts {
    const home = this.#opts.home;
    f.secret = f.forms.filter((p) => isSensitivePath(p, home));
    f.broad = f.forms.find((p) => isTooBroadPath(p, home));
    f.globby = f.forms.find((p) => GLOB_CHARS_REGEXP.test(p));
    return f;
  }

  #factsOf(server: string, method: string, tool: string | undefined, args: unknown, cwd: string): CallFacts {
    let key: string;
    try {
      // The tool name does not change what the arguments hold; leaving it out of the key lets calls to
      // different tools on the same paths share one entry. Its own guard runs per name in #toolGuard.
      key = JSON.stringify([method, method === "tools/call" ? typeof tool : tool, cwd, args]);
    } catch {
      key = "";
    }
    const hit = key ? this.#facts.get(key) : undefined;
    if (hit) return hit;
    let facts: CallFacts;
    try {
      const placeholder = typeof tool === "string" ? "tool" : tool;
      const call: CanonicalCall = canonicalizeCall(
        method === "tools/call" ? { server, tool: placeholder, arguments: args } : method === "prompts/get"
          // The proxy traces a prompt's arguments (not its params) and its name in `tool`.
          ? { server, method, tool, arguments: args }
          : { server, method, params: args },
        { cwd, home: this.#opts.home, realpath: this.#realpath },
      );
      if (call.malformed !== undefined) facts = { malformed: call.malformed, forms: [], hosts: [] };
      else {
        const guard = ARGUMENT_GUARDS.find((g) => g.check(call) !== undefined);
        const forms = new Set<string>();
        for (const p of call.paths) for (const f of p.forms) forms.add(f);
        facts = this.#withPathChecks({
          guard: guard ? `guard/${guard.id}` : undefined,
          forms: [...forms].sort(),
          hosts: call.urls.map((u) => hostEntry(u.host, u.port, u.scheme)),
        });
      }
    } catch (e) {
      facts = { malformed: (e as Error).message, forms: [], hosts: [] };
    }
    if (key) {
      if (this.#facts.size >= CACHE_MAX) this.#facts.clear();
      this.#facts.set(key, facts);
    }
    return facts;
  }

  /**
   * Reads one JSONL line. Blank lines are skipped; a line that is not a trace event is recorded in `malformed`.
   * @param text the line without its newline
   * @param where file and 1-based line number, for reports; `auditServer` when the file is a Deno permission
   *   audit log (`<server>.permissions.jsonl`, written by the containment layer in record mode)
   */
  addLine(text: string, where: { file: string; line: number; auditServer?: string }): void {
    this.counts.lines++;
    const r = readTraceLine(text);
    switch (r.kind) {
      case "blank":
        return;
      case "bad-json":
        this.#bad(
          where,
          r.problem === "key" ? r.error : `not JSON: ${r.error.replace(/^invalid JSON: /, "")}`,
        );
        return;
      case "not-object":
        this.#bad(where, "not a JSON object");
        return;
      case "audit":
        if (where.auditServer === undefined) {
          this.#bad(where, 'a Deno permission audit line outside a "<server>.permissions.jsonl" file');
          return;
        }
        this.counts.events++;
        this.#audit(where.auditServer, [r.record]);
        return;
      case "v1":
        this.counts.events++;
        this.addEvent(r.event);
        return;
      case "bad-v1":
        this.#bad(where, `not a v1 trace event: ${describe(r.issues)}`);
        return;
      case "bad-legacy":
        this.#bad(
          where,
          `not a trace event (neither "v": 1 nor the original's format): ${describe(r.issues)}`,
        );
        return;
      case "legacy": {
        this.counts.events++;
        const ev = r.event;
        this.#call(
          ev.server,
          "tools/call",
          ev.tool,
          ev.args,
          undefined,
          this.#opts.cwd,
          legacyStatus(ev.decision),
          `legacy:${where.file}`,
        );
      }
    }
  }

  /**
   * Adds one validated v1 event.
   * @param ev a trace event
   */
  addEvent(ev: TraceEventV1): void {
    // A forwarded call's result comes on a later line (the proxy writes ahead): learn from the whole call.
    for (const joined of this.#joiner.push(ev)) this.#addJoined(joined);
  }

  /**
   * Ends the input: calls still waiting for a result (the proxy was stopped before the answer) are counted
   * as "no result recorded". `inferPolicy()` calls it; calling it twice is harmless.
   */
  end(): void {
    for (const ev of this.#joiner.end()) this.#addJoined(ev);
  }

  #joiner = new CallResultJoiner();

  #addJoined(ev: TraceEventV1): void {
    if (ev.kind === "tools") {
      const s = this.#server(ev.server);
      for (const t of ev.tools ?? []) {
        s.offered.set(t.name, annotationsOf(t.annotations));
      }
      return;
    }
    if (ev.kind === "containment") {
      // src/sandbox writes `source: "audit"` (an access the server made, `count` times), `"broker"` (an answer,
      // with its decision) and `"runtime"` (a denial seen in a result). Only granted accesses are needs.
      const e = ev as Record<string, unknown>;
      if (e.source === "runtime" || e.granted === false || e.outcome === "denied") return;
      if (e.source === "broker" && ev.decision?.verdict !== "allow") return;
      this.#audit(ev.server, Array.isArray(e.audits) ? e.audits : e.audit !== undefined ? [e.audit] : [e]);
      return;
    }
    if (ev.kind !== "call" || ev.direction === "server") return;
    const method = ev.method ?? "tools/call";
    if (method.startsWith("notifications/") || PASSTHROUGH_METHODS.has(method)) return;
    // The trace reader maps the original's lines to v1 with `legacy: true`: they carry no result.
    const status = (ev as { legacy?: unknown }).legacy === true
      ? legacyStatus(legacyDecisionOf(ev))
      : statusOf(ev);
    this.#call(
      ev.server,
      method,
      ev.tool,
      ev.arguments,
      ev.paths,
      ev.cwd ?? this.#opts.cwd,
      status,
      ev.sessionId,
      (ev.redactions?.length ?? 0) > 0,
    );
  }

  #call(
    serverName: string,
    method: string,
    tool: string | undefined,
    args: unknown,
    tracePaths: string[] | undefined,
    cwd: string,
    status: Status,
    session: string,
    redacted = false,
  ): void {
    this.counts.calls++;
    const s = this.#server(serverName);
    s.calls++;
    const name = method === "tools/call" ? tool ?? "" : method;
    if (status.learn === false) {
      this.#skip(serverName, name, status.reason, status.detail);
      return;
    }
    const facts = this.#factsOf(serverName, method, tool, args, cwd);
    if (facts.malformed !== undefined) {
      this.#skip(serverName, name, "malformed call", facts.malformed);
      return;
    }
    if (status.learn === "approval") {
      if (method !== "tools/call") {
        this.#skip(serverName, name, "approval refused", "approvals apply to tools only");
        return;
      }
      this.#use(s, name).approved++;
      this.counts.approved++;
      this.#learnV2(s, name, args, facts.hosts, session);
      this.#opts.onLearn?.({ server: serverName, method, tool, arguments: args, cwd, approval: true });
      for (const f of facts.forms) if (isSensitivePath(f, this.#opts.home)) this.#count(this.sensitive, f);
      return;
    }
    const guard = facts.guard ?? (method === "tools/call" ? this.#toolGuard(serverName, name) : undefined);
    if (guard !== undefined) {
      this.#skip(serverName, name, "blocked by a guard", guard);
      return;
    }
    let f = facts;
    const traced = tracePaths?.filter((p) => p.startsWith("/")) ?? [];
    if (redacted && traced.length > 0) {
      // Redaction rewrote some argument values, so paths read from the arguments may be mangled; the proxy's
      // `paths` were taken before redaction and are the truth (plus their realpath forms).
      const ropts = { cwd, home: this.#opts.home, realpath: this.#realpath };
      const forms = [...new Set(traced.flatMap((p) => resolvePath(p, ropts).forms))].sort();
      f = this.#withPathChecks({ ...facts, forms });
    } else if (traced.some((p) => !facts.forms.includes(p))) {
      // The proxy saw a path form the arguments do not show: judge the union.
      const forms = [...new Set([...facts.forms, ...traced])].sort();
      f = this.#withPathChecks({ ...facts, forms });
    }
    if (f.secret!.length > 0) {
      for (const p of f.secret!) this.#count(this.sensitive, p);
      this.#skip(serverName, name, "sensitive path", f.secret![0]!);
      return;
    }
    if (f.broad !== undefined) {
      this.#skip(serverName, name, "too broad path", f.broad);
      return;
    }
    if (f.globby !== undefined) {
      this.#skip(serverName, name, "path with glob characters", f.globby);
      return;
    }
    const sorted = f.forms;
    if (sorted.length > 0 && s.workdirs.size < MAX_WORKDIRS && !s.workdirs.has(cwd)) {
      s.workdirs.add(cwd);
      const real = this.#realpath?.(cwd);
      if (real !== undefined && s.workdirs.size < MAX_WORKDIRS) s.workdirs.add(real);
    }
    const untrusted = this.#untrusted.get(session);
    for (const f of sorted) {
      if (
        untrusted !== undefined && !s.paths.has(f) && !s.afterUntrusted.has(f) &&
        s.afterUntrusted.size < MAX_REVIEW_PATHS
      ) {
        s.afterUntrusted.set(f, untrusted);
      }
      this.#count(s.paths, f);
    }
    // A result from the open world (a fetched URL, an open-world tool) may carry injected instructions; what the
    // agent touches for the first time afterwards in this session is flagged for review.
    if (
      this.#untrusted.size < CACHE_MAX && !this.#untrusted.has(session) &&
      (facts.hosts.length > 0 || (tool !== undefined && s.offered.get(tool)?.openWorldHint === true))
    ) {
      this.#untrusted.set(session, `${serverName}.${name}`);
    }
    for (const h of facts.hosts) this.#count(s.hosts, h);
    if (method === "tools/call") {
      const use = this.#use(s, name);
      use.learned++;
      if (args !== null && typeof args === "object" && !Array.isArray(args)) {
        for (const k of Object.keys(args)) {
          const key = k.toLowerCase();
          if (MULTIPLEX_KEYS.has(key) && !use.multiplexKeys?.includes(key)) {
            use.multiplexKeys = [...(use.multiplexKeys ?? []), key].sort();
          }
        }
      }
      this.#learnV2(s, name, args, facts.hosts, session);
    } else if (!JUDGED_METHODS.has(method)) this.#count(s.methods, method);
    if (method !== "tools/call" && facts.hosts.length > 0) {
      // resources/read of a URL: a network read, for session rules.
      this.sessionRule.observe(session, {
        server: serverName,
        tool: method,
        classes: ["network", "read"],
        hosts: facts.hosts.map((h) => h.replace(/:\d+$/, "")),
      });
    }
    this.counts.learned++;
    this.#opts.onLearn?.({ server: serverName, method, tool, arguments: args, cwd, approval: false });
  }

  /** Format 2 facts of a learned (or approved) tool call: scopes, SQL, classes, and the session it is part of. */
  #learnV2(s: ServerObservations, tool: string, args: unknown, hosts: string[], session: string): void {
    const call = this.scopes.observe(s.name, tool, args, {
      annotations: s.offered.get(tool),
      // allowed_hosts entries carry a port when it is not the scheme's: session rules compare bare hosts.
      hosts: hosts.map((h) => h.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1")),
    });
    this.sessionRule.observe(session, call);
  }

  #audit(server: string, records: unknown[]): void {
    // Deno permission audit records ({permission, value}); denials are not needs.
    const s = this.#server(server);
    for (const r of records) {
      if (r === null || typeof r !== "object") continue;
      const a = r as { permission?: unknown; value?: unknown; granted?: unknown; outcome?: unknown };
      if (a.granted === false || a.outcome === "denied") continue;
      if (typeof a.permission !== "string" || typeof a.value !== "string") continue;
      if (!AUDIT_KINDS.has(a.permission) || a.value === "") continue;
      const kind = a.permission as "read" | "write" | "net" | "env";
      let value = a.value;
      if (kind === "net") {
        // Deno logs one fetch as both "http://h:p/" and "h:p"; keep the host:port form.
        if (value.includes("://")) continue;
      } else if (kind !== "env" && !value.startsWith("/")) continue;
      if (kind === "read" || kind === "write") {
        if (isSensitivePath(value, this.#opts.home)) {
          this.#count(this.sensitive, value);
          continue;
        }
        value = value.replace(/\/+$/, "") || "/";
      }
      const m = s.sandbox[kind];
      const n = typeof (r as { count?: unknown }).count === "number" ? (r as { count: number }).count : 1;
      m.set(value, (m.get(value) ?? 0) + Math.max(1, Math.floor(n)));
    }
  }

  #use(s: ServerObservations, tool: string): ToolUse {
    let u = s.tools.get(tool);
    if (!u) s.tools.set(tool, u = { learned: 0, approved: 0 });
    return u;
  }

  #server(name: string): ServerObservations {
    let s = this.servers.get(name);
    if (!s) {
      s = {
        name,
        tools: new Map(),
        methods: new Map(),
        paths: new Map(),
        hosts: new Map(),
        offered: new Map(),
        sandbox: { read: new Map(), write: new Map(), net: new Map(), env: new Map() },
        calls: 0,
        afterUntrusted: new Map(),
        workdirs: new Set(),
      };
      this.servers.set(name, s);
    }
    return s;
  }

  #count(m: Map<string, number>, k: string): void {
    m.set(k, (m.get(k) ?? 0) + 1);
  }

  #skip(server: string, tool: string, reason: NotLearnedReason, detail: string): void {
    const key = `${server}\u0000${tool}\u0000${reason}`;
    const n = this.notLearned.get(key);
    if (n) {
      n.count++;
      if (detail < n.example) n.example = detail;
    } else this.notLearned.set(key, { server, tool, reason, count: 1, example: detail });
  }

  #bad(where: { file: string; line: number }, message: string): void {
    this.counts.malformed++;
    if (this.malformed.length < (this.#opts.maxMalformed ?? 1000)) {
      this.malformed.push({ file: where.file, line: where.line, message });
    }
  }
}

const CACHE_MAX = 100_000;
/** Paths kept per server for the "first used after untrusted input" review (the rest are not listed). */
const MAX_REVIEW_PATHS = 10_000;
// Guards on the tool name run per name; the rest judge the arguments and are cached with them.
const TOOL_GUARDS = GUARDS.filter((g) => g.id === "tool-name-charset");
const ARGUMENT_GUARDS = GUARDS.filter((g) => g.id !== "tool-name-charset");
/** Argument keys that choose the action of a multiplexed tool. */
const MULTIPLEX_KEYS = new Set([
  "command",
  "cmd",
  "commands",
  "script",
  "sql",
  "statement",
  "action",
  "operation",
]);
/** Of those, the ones that make a tool a shell in all but name. */
export const SHELL_LIKE_KEYS: ReadonlySet<string> = new Set(["command", "cmd", "commands", "script"]);

interface CallFacts {
  malformed?: string;
  guard?: string;
  /** Every canonical form of every path, sorted. */
  forms: string[];
  hosts: string[];
  secret?: string[];
  broad?: string;
  globby?: string;
}

type Status =
  | { learn: true }
  | { learn: "approval" }
  | { learn: false; reason: NotLearnedReason; detail: string };

function legacyStatus(decision: string | undefined): Status {
  const d = (decision ?? "record").toLowerCase();
  if (d === "deny") return { learn: false, reason: "denied", detail: "decision deny" };
  if (d === "require_approval" || d === "approve") return { learn: "approval" };
  if (d === "allow" || d === "record") return { learn: true };
  return { learn: false, reason: "denied", detail: `decision "${decision}"` };
}

function legacyDecisionOf(ev: TraceEventV1): string | undefined {
  const id = ev.decision?.ruleIds[0];
  if (id?.startsWith("legacy/")) return id.slice("legacy/".length);
  return ev.decision?.verdict === "approve" ? "require_approval" : ev.decision?.verdict;
}

function statusOf(ev: TraceEventV1): Status {
  const d = ev.decision;
  const rule = d?.ruleIds[0] ?? "";
  if (d?.verdict === "deny") return { learn: false, reason: "denied", detail: rule || d.reason };
  if (ev.forwarded === false && d?.verdict !== "approve") {
    return { learn: false, reason: "not forwarded", detail: "the proxy did not forward it" };
  }
  const outcome = resultProblem(ev);
  if (d?.verdict === "approve") {
    if (ev.approval?.granted === false || (ev.approval === undefined && ev.forwarded !== true)) {
      return { learn: false, reason: "approval refused", detail: ev.approval?.channel ?? rule };
    }
    if (outcome) return outcome;
    return { learn: "approval" };
  }
  if (outcome) return outcome;
  return { learn: true };
}

function resultProblem(ev: TraceEventV1): Status | undefined {
  const r = ev.result;
  if (!r) return { learn: false, reason: "no result recorded", detail: "no response was traced" };
  if (r.containment !== undefined) {
    return { learn: false, reason: "blocked by the sandbox", detail: r.containment };
  }
  if (r.outcome !== "ok") return { learn: false, reason: "failed", detail: `outcome ${r.outcome}` };
  if (r.isError === true) return { learn: false, reason: "tool error", detail: "isError: true" };
  return undefined;
}

function annotationsOf(a: unknown): ToolAnnotations | undefined {
  if (a === null || typeof a !== "object") return undefined;
  const o = a as Record<string, unknown>;
  const out: ToolAnnotations = {};
  if (typeof o.readOnlyHint === "boolean") out.readOnlyHint = o.readOnlyHint;
  if (typeof o.destructiveHint === "boolean") out.destructiveHint = o.destructiveHint;
  if (typeof o.openWorldHint === "boolean") out.openWorldHint = o.openWorldHint;
  return out;
}

/**
 * The allowed_hosts entry for a host: the bare host when the port is the scheme's default, else `host:port`.
 * @param host lowercase host
 * @param port effective port
 * @param scheme scheme with colon, "" for a bare host
 * @returns the entry
 */
export function hostEntry(host: string, port: string, scheme: string): string {
  const defaults: Record<string, string> = { "http:": "80", "https:": "443", "ws:": "80", "wss:": "443" };
  const h = host.includes(":") ? `[${host}]` : host;
  return port === "" || defaults[scheme] === port ? h : `${h}:${port}`;
}

function describe(issues: { path: PropertyKey[]; message: string }[]): string {
  const i = issues[0];
  if (!i) return "invalid";
  return `${i.path.length ? `"${i.path.map(String).join(".")}": ` : ""}${i.message}`;
}
