import { dirname, isAbsolute, resolve } from "node:path";
import { isWithin, resolvePath } from "../canonical/mod.ts";
import { type DiscoveredConfig, isOnlyVariables, type ServerEntry } from "../clients/mod.ts";
import { BUILTIN_REDACTORS, compileRedactor, type Redactor } from "../redact/mod.ts";
import { analyzeLaunch } from "./analyze_launch.ts";
import { RULES } from "./rules.ts";
import { type Finding, type RuleInfo, severityRank } from "./types.ts";

/** Options for `scanConfigs`. */
export interface ScanOptions {
  /** The user's home directory (for `~` and "is this home?"). */
  home: string;
  /** The workspace: configs inside it get `config-in-workspace`. */
  cwd: string;
  /** Redactor used to recognise secrets; default: the built-in packs without emails. */
  redactor?: Redactor;
  /**
   * Says whether an absolute path exists; when given, wired entries whose proxy binary, script, policy or
   * lock is gone are flagged. Omit to keep scanning free of file access.
   */
  exists?: (path: string) => boolean;
}

const PATHLIKE_REGEXP =
  /^(?:~(?:[\\/]|$)|\/|\.\.?(?:[\\/]|$)|\$HOME\b|\$\{HOME\}|%USERPROFILE%|[A-Za-z]:[\\/]|\\\\|file:)/i;
const SENSITIVE_DIRS = [".ssh", ".aws", ".gnupg", ".config", ".kube", ".docker", ".azure", ".gcloud"];
const KEY_FILE_REGEXP = /(?:\.(?:pem|key|p12|pfx|jks|keystore|ppk)|^id_(?:rsa|dsa|ecdsa|ed25519)(?:_sk)?)$/i;
const ENV_FILE_REGEXP = /^\.env(?:\..+)?$/i;
const SECRET_NAME_REGEXP =
  /(?:token|secret|passw(?:or)?d|passwd|api[_-]?key|apikey|auth|credential|private[_-]?key|(?:^|_)pat(?:$|_)|session|cookie)/i;
const SHELL_WORDS = new Set([
  "shell",
  "terminal",
  "bash",
  "zsh",
  "powershell",
  "pwsh",
  "exec",
  "commander",
  "commands",
  "cmd",
  "ssh",
  "tmux",
]);
const LOOPBACK_REGEXP = /^(?:localhost|127(?:\.\d+){3}|\[::1\]|::1)$/i;

let defaultRedactor: Redactor | undefined;

function finding(
  rule: RuleInfo,
  c: DiscoveredConfig,
  server: string,
  message: string,
  extra: Partial<Finding> = {},
): Finding {
  return {
    ruleId: rule.id,
    severity: rule.severity,
    server,
    client: c.client,
    file: c.file,
    message,
    hint: rule.hint,
    ...extra,
  };
}

function lower(p: string): string {
  return p.toLowerCase();
}

/**
 * Says why a resolved path is sensitive, or undefined.
 * @param form an absolute normalised path
 * @param home the normalised home directory
 */
function sensitiveReason(form: string, home: string): string | undefined {
  const f = lower(form);
  const h = lower(home);
  if (f === "/") return "the whole filesystem (/)";
  if (f === h) return "your whole home directory";
  if (h !== "/" && isWithin(h, f)) return `a directory that contains your home directory (${form})`;
  for (const d of SENSITIVE_DIRS) {
    if (isWithin(f, `${h}/${d}`)) return `~/${d}`;
  }
  if (f === "/etc" || isWithin(f, "/etc")) return `system configuration (${form})`;
  const base = form.split("/").pop() ?? "";
  if (ENV_FILE_REGEXP.test(base)) return `an env file (${base})`;
  if (KEY_FILE_REGEXP.test(base)) return `a key file (${base})`;
  return undefined;
}

function pathCandidates(tokens: readonly string[]): string[] {
  const out: string[] = [];
  for (const t of tokens) {
    const eq = /^--?[A-Za-z0-9-]+=(.*)$/s.exec(t);
    const v = eq ? eq[1]! : t;
    if (PATHLIKE_REGEXP.test(v.trim()) || ENV_FILE_REGEXP.test(v.trim()) || KEY_FILE_REGEXP.test(v.trim())) {
      out.push(v);
    }
  }
  return out;
}

function checkPaths(
  c: DiscoveredConfig,
  s: ServerEntry,
  argv: string[],
  mounts: string[],
  opts: ScanOptions,
): Finding[] {
  const out: Finding[] = [];
  // A Windows home (C:\\Users\\me) has a backslash reading too; compare against the forward-slash form.
  const homeForms = resolvePath(opts.home, { cwd: "/", home: opts.home }).forms;
  const home = homeForms.find((f) => !f.includes("\\")) ?? homeForms[0] ?? "/";
  const base = s.cwd && !s.cwd.includes("$") ? resolve(dirname(c.file), s.cwd) : dirname(c.file);
  const seen = new Set<string>();
  const check = (raw: string, how: string) => {
    // `${workspaceFolder}` and other client variables are unknown here; judge only what is literal.
    if (/\$\{(?!HOME\})[^}]*\}/.test(raw)) return;
    const { forms } = resolvePath(raw, { cwd: isAbsolute(base) ? base : "/", home });
    for (const f of forms) {
      const why = sensitiveReason(f, home);
      if (why && !seen.has(why)) {
        seen.add(why);
        out.push(finding(RULES.sensitivePath, c, s.name, `"${s.name}" ${how} ${why}`));
        return;
      }
    }
  };
  for (const m of mounts) check(m, "mounts");
  for (const a of pathCandidates(argv.slice(1))) check(a, "is given");
  // Many servers take their roots from env (MEMORY_FILE_PATH, ALLOWED_DIRECTORIES=/a:/b).
  for (const [k, v] of Object.entries(s.env)) {
    for (const part of v.split(/[,;]|:(?=[~/$%])/)) {
      if (pathCandidates([part]).length > 0) check(part, `gets env "${k}" pointing at`);
    }
  }
  return out;
}

function checkSecrets(c: DiscoveredConfig, s: ServerEntry, redactor: Redactor): Finding[] {
  const out: Finding[] = [];
  const report = (where: string, fired: string[]) =>
    out.push(
      finding(
        RULES.secretInConfig,
        c,
        s.name,
        `"${s.name}" has a literal secret in ${where}${
          fired.length ? ` (${[...new Set(fired)].join(", ")})` : ""
        }`,
      ),
    );
  for (const [k, v] of Object.entries(s.env)) {
    if (v.trim() === "" || isOnlyVariables(v)) continue;
    const fired = redactor.redactText(v).fired;
    const assigned = fired.length ? fired : redactor.redactText(`${k}=${v}`).fired;
    if (assigned.length > 0) report(`env "${k}"`, assigned);
    else if (SECRET_NAME_REGEXP.test(k) && v.length >= 6 && !/^(true|false|\d+)$/i.test(v)) {
      report(`env "${k}"`, []);
    }
  }
  const argv = [s.command ?? "", ...s.args].filter((a) => !isOnlyVariables(a));
  const argFired = redactor.redactText(argv.join(" ")).fired;
  if (argFired.length > 0) report("its arguments", argFired);
  for (const [k, v] of Object.entries(s.headers ?? {})) {
    if (v.trim() === "" || isOnlyVariables(v)) continue;
    const fired = redactor.redactText(`${k}: ${v}`).fired;
    if (fired.length > 0 || SECRET_NAME_REGEXP.test(k) || /^(authorization|x-api-key|api-key)$/i.test(k)) {
      report(`header "${k}"`, fired);
    }
  }
  if (s.url) {
    const fired = [...redactor.redactText(s.url).fired];
    try {
      const u = new URL(s.url);
      if (u.password) fired.push("url-password");
      for (const [k, v] of u.searchParams) {
        if (SECRET_NAME_REGEXP.test(k) && v && !isOnlyVariables(v)) fired.push(`query "${k}"`);
      }
    } catch {
      // Not a URL we can parse (variables): only the redactor's view counts.
    }
    if (fired.length > 0) report("its URL", fired);
  }
  return out;
}

/** The files a wired entry needs: its command, any absolute script/config before `proxy`, policy and lock. */
function checkWiring(c: DiscoveredConfig, s: ServerEntry, exists: (p: string) => boolean): Finding[] {
  const proxyAt = s.args.indexOf("proxy");
  const sep = s.args.indexOf("--", proxyAt);
  const needed: string[] = [];
  if (s.command && isAbsolute(s.command)) needed.push(s.command);
  for (const a of s.args.slice(0, Math.max(0, proxyAt))) if (isAbsolute(a)) needed.push(a);
  const flags = s.args.slice(proxyAt, sep < 0 ? undefined : sep);
  for (const f of ["--policy", "--lock"]) {
    const i = flags.indexOf(f);
    const v = i >= 0 ? flags[i + 1] : undefined;
    if (v && isAbsolute(v)) needed.push(v);
  }
  const missing = needed.filter((p) => !exists(p));
  return missing.length === 0 ? [] : [
    finding(
      RULES.brokenWiring,
      c,
      s.name,
      `"${s.name}" is wired to ${missing.map((m) => `"${m}"`).join(", ")}, which no longer exist(s)`,
    ),
  ];
}

function words(s: string): string[] {
  return s.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
}

function scanEntry(c: DiscoveredConfig, s: ServerEntry, opts: ScanOptions, redactor: Redactor): Finding[] {
  const out: Finding[] = [];
  out.push(...checkSecrets(c, s, redactor));
  if (s.autoApprove && s.autoApprove.length > 0) {
    const all = s.autoApprove.includes("*");
    out.push(
      finding(
        RULES.autoApprove,
        c,
        s.name,
        all
          ? `"${s.name}" is trusted: every tool runs without confirmation`
          : `"${s.name}" runs ${s.autoApprove.length} tool(s) without confirmation: ${
            s.autoApprove.join(", ")
          }`,
      ),
    );
  }
  if (s.transport === "remote") {
    if (s.url && /^(http|ws):\/\//i.test(s.url)) {
      let host = "";
      try {
        host = new URL(s.url).hostname;
      } catch {
        host = "";
      }
      if (!LOOPBACK_REGEXP.test(host)) {
        out.push(
          finding(
            RULES.plainHttp,
            c,
            s.name,
            `"${s.name}" talks to ${host || "its server"} over plain ${s.url.split(":")[0]}`,
          ),
        );
      }
    }
    return out;
  }
  if (s.command === undefined) return out;
  const orig = s.wrapped?.original ?? { command: s.command, args: s.args };
  const launch = analyzeLaunch(orig.command, orig.args);
  for (const p of launch.packages) {
    if (!p.pinned) {
      out.push(
        finding(
          RULES.unpinnedPackage,
          c,
          s.name,
          `"${s.name}" runs "${p.spec}" via ${p.launcher} without ${
            p.launcher === "docker" || p.launcher === "podman" ? "an image digest" : "an exact version"
          }`,
        ),
      );
    }
  }
  out.push(...checkPaths(c, s, launch.argv, launch.mounts, opts));
  const ident = [...launch.packages.map((p) => p.spec.replace(/@[^@/]*$/, "")), ...launch.argv.slice(0, 1)];
  const shellHit = launch.packages.length > 0
    ? launch.packages.flatMap((p) => words(p.spec.replace(/@[^@/]*$/, ""))).find((w) => SHELL_WORDS.has(w))
    : words(ident.join(" ").split(/[\\/]/).pop() ?? "").find((w) => SHELL_WORDS.has(w));
  if (shellHit) {
    out.push(
      finding(
        RULES.shellServer,
        c,
        s.name,
        `"${s.name}" looks like a shell server ("${shellHit}" in its name)`,
      ),
    );
  } else if (launch.inlineShell) {
    out.push(
      finding(RULES.shellServer, c, s.name, `"${s.name}" is started through an inline shell script`, {
        severity: "medium",
      }),
    );
  }
  if (!s.wrapped) {
    if (!s.disabled) {
      out.push(finding(RULES.notWrapped, c, s.name, `"${s.name}" runs without AgentPerms in between`));
    }
  } else if (s.wrapped.mode === "record") {
    out.push(finding(RULES.recordOnly, c, s.name, `"${s.name}" is recorded but nothing is enforced`));
  }
  if (s.wrapped && opts.exists) out.push(...checkWiring(c, s, opts.exists));
  return out;
}

/**
 * Sorts findings: severity (HIGH first), then file, server and rule.
 * @param findings the findings
 * @returns a new sorted array
 */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) =>
    severityRank(a.severity) - severityRank(b.severity) || a.file.localeCompare(b.file) ||
    a.server.localeCompare(b.server) || a.ruleId.localeCompare(b.ruleId) || a.message.localeCompare(b.message)
  );
}

/**
 * Checks client configs without starting anything: unpinned packages, sensitive paths and mounts, literal
 * secrets (named, never shown), plain-HTTP remotes, auto-approval, shell servers, unwrapped servers, configs
 * inside the workspace and unreadable configs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scanConfigs } from "./mod.ts";
 * const findings = scanConfigs([{
 *   client: "generic", file: "/tmp/mcp.json", scope: "explicit", format: "json", errors: [],
 *   servers: [{ name: "fs", transport: "stdio", command: "npx", args: ["-y", "@modelcontextprotocol/server-filesystem", "~/.ssh"], env: {}, raw: {}, path: [] }],
 * }], { home: "/home/me", cwd: "/work" });
 * assert.equal(findings[0]?.ruleId, "sensitive-path");
 * ```
 * @param configs discovered configs
 * @param opts home, workspace and redactor
 * @returns findings, HIGH first
 */
export function scanConfigs(configs: readonly DiscoveredConfig[], opts: ScanOptions): Finding[] {
  const redactor = opts.redactor ??
    (defaultRedactor ??= compileRedactor(BUILTIN_REDACTORS, { emails: false }));
  const out: Finding[] = [];
  for (const c of configs) {
    for (const e of c.errors) out.push(finding(RULES.configInvalid, c, "", e));
    if (c.servers.length > 0 && c.scope !== "user" && c.scope !== "managed" && isWithin(c.file, opts.cwd)) {
      out.push(finding(RULES.configInWorkspace, c, "", `${c.file} is inside the workspace ${opts.cwd}`));
    }
    for (const s of c.servers) out.push(...scanEntry(c, s, opts, redactor));
  }
  return sortFindings(out);
}
