/**
 * The report's input model. Everything the HTML and JSON renderers show comes from one `ReportData` value,
 * so the renderers are pure and testable with fixtures; small adapters fill it from scan, lock, traces,
 * replay, containment and the policy.
 * @module
 */

/**
 * One report section: either present, or honestly marked as not available with the reason (a module
 * that is not built, an input that was not given, a file that could not be read).
 */
export type Section<T> =
  | { available: true; value: T }
  | { available: false; reason: string };

/** Severity of a scan finding, as the scanner reports it. */
export type ReportSeverity = "high" | "medium" | "low" | "info";

/** One scan finding (the scanner's `Finding`, already redacted). */
export interface ReportFinding {
  /** Rule id, kebab-case, e.g. `unpinned-package`. */
  ruleId: string;
  /** Severity. */
  severity: ReportSeverity;
  /** Server entry name. */
  server: string;
  /** Client the config belongs to (e.g. `claude-desktop`). */
  client: string;
  /** Config file. */
  file: string;
  /** What is wrong. */
  message: string;
  /** How to fix it. */
  hint: string;
}

/** Scan results. */
export interface ReportScan {
  /** Findings, any order (renderers sort by severity). */
  findings: ReportFinding[];
  /** Servers scanned. */
  servers: number;
  /** Config files scanned. */
  configs: number;
}

/** One difference between `mcp.lock` and what was seen. */
export interface ReportDrift {
  /** Server name. */
  server: string;
  /** Tool name; absent for a server-level change (launch command, version). */
  tool?: string;
  /** new, removed or changed. */
  change: "new" | "removed" | "changed";
  /** The fields that changed, e.g. `description`, `inputSchema`, `command`. */
  fields: string[];
  /** One readable line describing it. */
  detail: string;
  /** Where it was seen: a static/live lock check, or a drift event in a trace. */
  source: "lock" | "trace";
}

/** Lock drift. */
export interface ReportLock {
  /** The lock file compared against. */
  file: string;
  /** Servers pinned in the lock. */
  servers: number;
  /** Every difference; empty when nothing drifted. */
  drift: ReportDrift[];
}

/** Call outcomes counted per server, per tool and per timeline bucket. */
export interface DecisionCounts {
  /** The policy allowed the call. */
  allowed: number;
  /** The policy denied the call (blocked in enforce mode; forwarded but flagged in record mode). */
  denied: number;
  /** The call needed approval and a human granted it. */
  approved: number;
  /** The call needed approval and it was refused or never answered. */
  approvalRefused: number;
  /** The runtime permission layer (Deno sandbox) blocked what the server tried to do. */
  contained: number;
  /** Recorded without a decision (the original's record mode). */
  recorded: number;
}

/** Observed activity of one tool. */
export interface ToolActivity {
  /** Tool (or method) name. */
  tool: string;
  /** Calls seen. */
  calls: number;
  /** Their outcomes. */
  counts: DecisionCounts;
}

/** Observed activity of one server. */
export interface ServerActivity {
  /** Server name. */
  server: string;
  /** Calls seen. */
  calls: number;
  /** Their outcomes. */
  counts: DecisionCounts;
  /** Per tool, most-used first. */
  tools: ToolActivity[];
  /** Tools the server listed (tools/list in the trace) that were never called: candidates to deny. */
  unusedTools: string[];
}

/** One bar of the activity timeline. */
export interface TimelineBucket {
  /** Bucket start, ISO 8601. */
  start: string;
  /** Bucket end, ISO 8601. */
  end: string;
  /** Outcomes of the calls that fell into it. */
  counts: DecisionCounts;
}

/** What the traces show. */
export interface ReportActivity {
  /** Trace files read. */
  files: number;
  /** Call events counted. */
  calls: number;
  /** Lines that could not be parsed (skipped, with file:line in `problems`). */
  malformed: number;
  /** First few parse problems, `file:line: message`. */
  problems: string[];
  /** Time of the first and last call, ISO 8601. */
  first?: string;
  /** Time of the last call, ISO 8601. */
  last?: string;
  /** Totals over every call. */
  totals: DecisionCounts;
  /** Calls that reached a server without an allow decision (record mode, legacy record). */
  forwardedNotAllowed: number;
  /** The rules behind denials (denied, approval refused), most frequent first, at most 10. */
  denyRules: { ruleId: string; count: number }[];
  /** Per server, most-used first. */
  servers: ServerActivity[];
  /** Timeline bars, oldest first. */
  timeline: TimelineBucket[];
}

/** One attack (or benign control) replayed against the policy. */
export interface ReportAttack {
  /** `<pack>/<attack>`. */
  id: string;
  /** Severity of the attack. */
  severity: string;
  /** Evasion class, e.g. `traversal`, `symlink`, `case-folding`, or `none` for a plain attack. */
  evasionClass: string;
  /** `block` for an attack, `allow` for a benign control that must keep working. */
  expect: "block" | "allow";
  /** The verdict decide() gave. */
  verdict: string;
  /** Denied or routed to human approval. */
  blocked: boolean;
  /** The verdict met the expectation. */
  passed: boolean;
  /** Blocked only because the policy does not list the server: proves nothing about that server. */
  unknownServer: boolean;
  /** The rules that decided and the reason. */
  detail: string;
}

/** Replay results. */
export interface ReportReplay {
  /** Packs replayed. */
  packs: string[];
  /** Every attack. */
  attacks: ReportAttack[];
}

/** How one server is launched. */
export interface ReportContainment {
  /** Server name. */
  server: string;
  /** True when it runs under Deno permissions derived from the policy. */
  contained: boolean;
  /** `flags`, `broker`, `off`, or `not contained`. */
  mode: string;
  /** How (the flags) or why not (e.g. "python server: not a JS/TS package"). */
  detail: string;
}

/** The policy in force. */
export interface ReportPolicy {
  /** Policy file. */
  file: string;
  /** Its text (redacted). */
  text: string;
  /** Servers it constrains. */
  servers: string[];
  /** Lint warnings. */
  warnings: string[];
}

/** A policy `scopes:` key the report lists values for. */
export type ReportScopeKind =
  | "repos"
  | "recipients"
  | "recipient_domains"
  | "channels"
  | "tables"
  | "namespaces"
  | "kinds"
  | "hosts";

/**
 * What `decide()` said about the calls that named a scope value: a scope rule held (or the scope rules held and
 * a human was asked), a scope rule denied the call naming it, no scope rule applies, another rule decided
 * first, or no policy judged it.
 */
export type ScopeVerdict = "allowed" | "denied" | "unconstrained" | "undecided" | "unjudged";

/** One scope value the traced calls touched. */
export interface ReportScopeValue {
  /** The value as the server profile read it (`octo-org/app`, `example.com`, `public.orders`). */
  value: string;
  /** Calls that named it. */
  calls: number;
  /** The verdict shown: denied, then unconstrained, then allowed, then undecided (see `counts`). */
  verdict: ScopeVerdict;
  /** Calls per verdict. */
  counts: Record<ScopeVerdict, number>;
  /** The rules that decided (scope rules, or the rule that decided first), at most 5. */
  ruleIds: string[];
}

/** One server's scopes in use. */
export interface ReportServerScopes {
  /** Server name. */
  server: string;
  /** The server profile the scopes were read with (the one `decide()` uses), if any. */
  profile?: string;
  /** Traced tool calls of the server. */
  calls: number;
  /** Calls whose scopes the profile could not read (a tool it does not know, a value it cannot parse). */
  unreadable: number;
  /** The first few reasons, `tool: why`. */
  unreadableExamples: string[];
  /** Per scope kind, the values, most-used first. */
  kinds: { kind: ReportScopeKind; values: ReportScopeValue[]; more: number }[];
}

/** Scopes in use (#18): what the traced calls touched, read through the server profiles, judged by decide(). */
export interface ReportScopes {
  /** Whether a policy judged the calls (else every verdict is `unjudged`). */
  judged: boolean;
  /** Servers with scope values or unreadable calls, most calls first. */
  servers: ReportServerScopes[];
}

/** Everything a report shows. */
export interface ReportData {
  /** Format version of this model as JSON. */
  v: 1;
  /** When the report was generated, ISO 8601. */
  generatedAt: string;
  /** AgentPerms version. */
  version: string;
  /** The inputs as given (paths), for the header. */
  inputs: { policy?: string; path?: string; traces?: string; lock?: string };
  /** Scan findings. */
  scan: Section<ReportScan>;
  /** Lock drift. */
  lock: Section<ReportLock>;
  /** Observed activity and decisions. */
  activity: Section<ReportActivity>;
  /** Scopes the traced calls touched, and whether the policy's scopes allow them (absent in older data). */
  scopes?: Section<ReportScopes>;
  /** Replay results. */
  replay: Section<ReportReplay>;
  /** Containment per server. */
  containment: Section<ReportContainment[]>;
  /** The policy in force. */
  policy: Section<ReportPolicy>;
  /** Redaction applied to everything shown: which rules/packs, or why it is limited. */
  redaction: string;
}

/**
 * Empty outcome counts.
 * @returns all zero
 */
export function emptyCounts(): DecisionCounts {
  return { allowed: 0, denied: 0, approved: 0, approvalRefused: 0, contained: 0, recorded: 0 };
}
