import { isWithin, normalizeAbsolute } from "../canonical/mod.ts";
import { straceArgs } from "./file_trace.ts";
import { PathSet } from "./_path_set.ts";
import { REAL_RUNTIME_HOST, type RuntimeHost, type RuntimeNeeds } from "./runtime_needs.ts";
import type { ProfileEntry, SandboxProfile } from "./sandbox_profile.ts";

/** One step of the sandbox's file view, in the order bubblewrap applies it. */
export interface Mount {
  /** ro / rw bind, an empty private tmpfs, a hidden folder or file, a symlink, /proc or /dev. */
  op: "ro" | "rw" | "tmpfs" | "hide-dir" | "hide-file" | "symlink" | "proc" | "dev";
  /** The path inside the sandbox (the same as outside for binds). */
  path: string;
  /** For `symlink`: its target. */
  target?: string;
  /** The rule behind it. */
  ruleId: string;
  /** Why, in words. */
  why: string;
}

/** How the OS sandbox starts one server. */
export interface OsLaunchPlan {
  /** bwrap. */
  command: string;
  /** bwrap's arguments, then the server's own command. */
  args: string[];
  /** The whole environment the server gets (scrubbed to the allowlist). */
  env: Record<string, string>;
  /** Always true: nothing is inherited. */
  clearEnv: true;
  /** Where bwrap itself starts. */
  cwd: string;
  /** The file view, step by step (for `sandbox explain`). */
  mounts: Mount[];
  /** The environment variable names the server sees, and why. */
  envReasons: ProfileEntry[];
  /** Network: `none` (enforce: only the egress proxy), `host` (record: the host's network, traced by proxy variables). */
  network: "egress-only" | "host";
  /** Things the user should know. */
  notes: string[];
  /** bwrap writes the sandboxed child's pid to this fd (signals are sent to it, not to bwrap). */
  sandboxInfoFd: 3;
  /** Where bwrap's own options (the file view) lie in `args`: `[start, end)`, for {@link withArgsFile}. */
  bwrapOptions: { start: number; end: number };
}

/** Options for {@link planOsLaunch}. */
export interface OsLaunchOptions {
  /** The bwrap executable. */
  bwrap: string;
  /** socat (bridges the sandbox's loopback port to the egress proxy's Unix socket); without it, no network. */
  socat?: string;
  /** The user's home. */
  home: string;
  /** The server's working directory. */
  cwd: string;
  /** The proxy's environment (source of allowlisted values; never passed whole in enforce mode). */
  env: Record<string, string>;
  /** Enforce: the egress proxy's Unix socket on the host. Record: its loopback URL (`http://127.0.0.1:port`). */
  egress?: { socket: string } | { url: string };
  /** File-system facts (tests replace them). */
  host?: RuntimeHost;
  /** Record mode: run the server under strace, logging its opens and file changes here (`straceArgs`). */
  fileTrace?: { strace: string; log: string };
  /** More files to hide, found by walking the visible folders at start (`findMasks`: patterns, nested .env). */
  extraHide?: ProfileEntry[];
  /** Files shown read-only even inside a writable grant (the policy and lock the server runs under). */
  readOnly?: ProfileEntry[];
}

/** The loopback port inside the sandbox where the egress proxy is reached (the sandbox has its own network). */
export const EGRESS_PORT = 39128;
/** Where the egress proxy's socket appears inside the sandbox. */
export const EGRESS_SOCKET_INSIDE = "/run/agentperms/egress.sock";

/** Variables every runtime needs and that hold no secret. */
const RUNTIME_ENV = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "SHELL",
  "LANG",
  "LANGUAGE",
  "LC_ALL",
  "LC_CTYPE",
  "LC_MESSAGES",
  "TERM",
  "TZ",
  "NODE_EXTRA_CA_CERTS",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "DENO_DIR",
  "npm_config_cache",
  "NPM_CONFIG_CACHE",
];
/** Files and folders of /etc that hold secrets: never visible. */
const ETC_SECRETS = [
  "/etc/shadow",
  "/etc/gshadow",
  "/etc/shadow-",
  "/etc/gshadow-",
  "/etc/sudoers",
  "/etc/sudoers.d",
  "/etc/ssh",
  "/etc/ssl/private",
];
/** Sockets to services outside the sandbox: the user's runtime folder (agents, D-Bus), container daemons. */
const HOST_SOCKETS = [
  "/run/user",
  "/var/run/docker.sock",
  "/run/docker.sock",
  "/run/podman",
  "/var/run/libvirt",
];
const SYSTEM = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/nix/store"];

/**
 * Turns a sandbox profile and the server's own command into a bubblewrap launch. Enforce: an empty root
 * with the system folders read-only, a private /tmp and home, the profile's reads read-only and writes
 * writable, the hidden places masked last (deny wins), no network but a loopback port bridged to the egress
 * proxy, and a scrubbed environment. Record: the whole file system read-only but the workspace and /tmp, the
 * hidden places masked, the host's network with proxy variables pointing at the (recording) egress proxy,
 * and the environment as it is. Pure but for the file-system facts in `opts.host`.
 *
 * @param profile what the policy lets the server reach
 * @param needs what its runtime needs to start (`runtimeNeeds`)
 * @param opts bwrap, socat, home, cwd, environment and the egress proxy
 * @returns the launch
 */
export function planOsLaunch(
  profile: SandboxProfile,
  needs: RuntimeNeeds,
  opts: OsLaunchOptions,
): OsLaunchPlan {
  const host = opts.host ?? REAL_RUNTIME_HOST;
  const notes = [...needs.notes];
  const mounts: Mount[] = [];
  const record = profile.mode === "record";
  const exists = (p: string) => host.kind(p) !== undefined;

  if (record) {
    mounts.push({ op: "ro", path: "/", ruleId: "sandbox/record", why: "record mode observes: all readable" });
    mounts.push({ op: "dev", path: "/dev", ruleId: "sandbox/base", why: "devices" });
    mounts.push({ op: "proc", path: "/proc", ruleId: "sandbox/base", why: "this sandbox's processes" });
    mounts.push({ op: "rw", path: "/tmp", ruleId: "sandbox/record", why: "temporary files (record mode)" });
  } else {
    for (const s of SYSTEM) {
      if (!exists(s)) continue;
      const t = host.kind(s) === "link" ? linkOf(s, host) : undefined;
      if (t !== undefined) {
        mounts.push({ op: "symlink", path: s, target: t, ruleId: "sandbox/system", why: "system link" });
      } else {mounts.push({
          op: "ro",
          path: s,
          ruleId: "sandbox/system",
          why: "system programs and libraries",
        });}
    }
    mounts.push({
      op: "dev",
      path: "/dev",
      ruleId: "sandbox/base",
      why: "a minimal /dev (null, zero, random, tty)",
    });
    mounts.push({ op: "proc", path: "/proc", ruleId: "sandbox/base", why: "this sandbox's processes only" });
    mounts.push({ op: "tmpfs", path: "/tmp", ruleId: "sandbox/base", why: "a private /tmp" });
    const home = normalizeAbsolute(opts.home);
    // A home of "/" (HOME unset) or inside a system folder gets no private tmpfs: it would hide the system.
    if (home !== "/" && home !== "/tmp" && !SYSTEM.some((s) => isWithin(home, s))) {
      mounts.push({ op: "tmpfs", path: home, ruleId: "sandbox/base", why: "a private, empty home" });
    }
  }

  // Binds, shallow first so deeper ones land on top; a path both read and written is written.
  const binds = new Map<string, Mount>();
  const bind = (e: ProfileEntry, op: "ro" | "rw") => {
    const p = normalizeAbsolute(e.value);
    if (record && op === "ro") return; // everything is readable already
    if (!exists(p)) {
      notes.push(`"${p}" (${e.ruleId}) does not exist, so it is not in the sandbox`);
      return;
    }
    const had = binds.get(p);
    if (had && (had.op === "rw" || op === "ro")) return;
    binds.set(p, { op, path: p, ruleId: e.ruleId, why: e.why });
  };
  for (const e of needs.read) bind(e, "ro");
  for (const e of profile.read) bind(e, "ro");
  for (const e of profile.write) bind(e, "rw");
  // The home is private and writable (servers keep state there: ~/.cache, ~/.config, dot folders), and
  // vanishes at exit. Where the policy lets the server read the real home (or in record mode), each entry
  // of it is shown read-only inside that private home instead of binding the home itself read-only.
  const home = normalizeAbsolute(opts.home);
  const privateHome = home !== "/" && home !== "/tmp" && !SYSTEM.some((s) => isWithin(home, s));
  const homeGrant = binds.get(home);
  const layer: Mount[] = [];
  if (privateHome && (record || homeGrant?.op === "ro")) {
    if (homeGrant?.op === "ro") binds.delete(home);
    const why = homeGrant?.why ?? "record mode observes: the home's entries, read-only";
    const ruleId = homeGrant?.ruleId ?? "sandbox/record";
    if (record) {
      layer.push({ op: "tmpfs", path: home, ruleId: "sandbox/base", why: "a private, writable home" });
    }
    homeLayer(home, "", layer, host, ruleId, why);
  }
  coalesceBinds(binds, host, notes);
  const sorted = [...layer.filter((m) => !binds.has(m.path)), ...binds.values()].sort((a, b) =>
    depth(a.path) - depth(b.path) ||
    (a.op === "tmpfs" ? -1 : b.op === "tmpfs" ? 1 : a.path.localeCompare(b.path))
  );
  // A grant of "/" itself is the base layer: the private /tmp, /dev and home go on top of it.
  if (sorted[0]?.path === "/") mounts.splice(0, mounts.findIndex((m) => m.op === "dev"), sorted.shift()!);
  mounts.push(...sorted);

  // Files that run outside the sandbox later (shell start-up files, autostart entries, git hooks) stay
  // read-only even inside a writable grant: a write there is persistence, not work.
  const protectedRo: Mount[] = [];
  const protectedPaths = new Set<string>();
  for (const m of sorted.filter((x) => x.op === "rw")) {
    const candidates = [
      ...HOME_STARTUP.map((r) => `${home}/${r}`).filter((p) => isWithin(p, m.path)),
      ...WORKSPACE_STARTUP.map((r) => `${m.path}/${r}`),
    ];
    for (const p of candidates) {
      if (p === m.path || protectedPaths.has(p) || !exists(p) || host.kind(p) === "link") continue;
      protectedPaths.add(p);
      protectedRo.push({
        op: "ro",
        path: p,
        ruleId: "sandbox/startup-files",
        why: "runs outside the sandbox later",
      });
    }
  }
  for (const e of opts.readOnly ?? []) {
    const p = normalizeAbsolute(e.value);
    if (!exists(p) || host.kind(p) === "link" || protectedPaths.has(p)) continue;
    if (sorted.some((m) => m.op === "rw" && isWithin(p, m.path))) {
      protectedPaths.add(p);
      protectedRo.push({ op: "ro", path: p, ruleId: e.ruleId, why: e.why });
    }
  }
  mounts.push(...protectedRo);

  // Hidden last: deny wins over every grant. Only what exists and is visible needs a mask.
  const shown = new PathSet([...sorted.map((m) => m.path), ...SYSTEM]);
  const visible = (p: string) => record || shown.holds(p);
  const hidden = new PathSet();
  const hide = (p: string, ruleId: string, why: string) => {
    if (hidden.holds(p)) return; // already hidden with a folder around it
    const k = host.kind(p);
    if (k === undefined || k === "link" || !visible(p)) return;
    if (SYSTEM.some((s) => isWithin(s, p))) {
      // Hiding /etc or /usr would stop every runtime; their secrets are hidden one by one instead.
      notes.push(
        `"${p}" (${ruleId}) holds system files every program needs, so the sandbox keeps it read-only (its secrets stay hidden); the JSON-RPC layer still denies calls that name it`,
      );
      return;
    }
    hidden.add(p);
    mounts.push({ op: k === "dir" ? "hide-dir" : "hide-file", path: p, ruleId, why });
  };
  for (const e of [...profile.hide, ...opts.extraHide ?? []]) {
    hide(normalizeAbsolute(e.value), e.ruleId, e.why);
  }
  for (const e of ETC_SECRETS) hide(e, "sandbox/etc-secrets", "system secrets (password hashes, host keys)");
  // Sockets reach services outside the sandbox whatever a read-only bind says (record mode shows /).
  for (const e of HOST_SOCKETS) hide(e, "sandbox/host-sockets", "a socket to a service outside the sandbox");
  for (const k of ["SSH_AUTH_SOCK", "GPG_AGENT_INFO"]) {
    const sock = opts.env[k]?.split(":")[0];
    if (sock?.startsWith("/")) hide(sock, "sandbox/host-sockets", `${k}: an agent holding keys`);
  }
  // .env files at the top of every visible folder the server was given.
  for (const m of sorted) {
    if (host.kind(m.path) !== "dir") continue;
    for (const n of host.list(m.path)) {
      if (n === ".env" || n.startsWith(".env.")) {
        hide(
          `${m.path}/${n}`,
          "sandbox/secret-place",
          "a .env file: secrets, hidden unless granted explicitly",
        );
      }
    }
  }

  coalesceHides(mounts, host, notes, [opts.cwd, opts.home, ...SYSTEM]);
  const argsNeeded = mountArgs(mounts) + 40;
  if (argsNeeded > BWRAP_MAX_ARGS) {
    notes.push(
      `The sandbox needs about ${argsNeeded} bubblewrap arguments for this policy's paths, more than the ${BWRAP_MAX_ARGS} it accepts: the server cannot start contained (grant folders rather than many files inside them)`,
    );
  }

  // Environment.
  const envReasons: ProfileEntry[] = [];
  const env: Record<string, string> = {};
  if (record) {
    Object.assign(env, opts.env);
    for (const k of ["SSH_AUTH_SOCK", "GPG_AGENT_INFO", "DBUS_SESSION_BUS_ADDRESS", "DOCKER_HOST"]) {
      delete env[k];
    }
    envReasons.push({
      value: "*",
      ruleId: "sandbox/record",
      why: "record mode passes the environment as it is",
    });
  } else {
    for (const k of RUNTIME_ENV) {
      if (opts.env[k] === undefined) continue;
      env[k] = opts.env[k]!;
      envReasons.push({
        value: k,
        ruleId: "sandbox/runtime-env",
        why: "the runtime needs it; holds no secret",
      });
    }
    for (const e of profile.env) {
      if (e.value.endsWith("*")) {
        const pre = e.value.slice(0, -1);
        for (const [k, v] of Object.entries(opts.env)) if (k.startsWith(pre)) env[k] = v;
      } else if (opts.env[e.value] !== undefined) env[e.value] = opts.env[e.value]!;
      envReasons.push(e);
    }
  }
  env.TMPDIR = "/tmp";
  const network: OsLaunchPlan["network"] = record ? "host" : "egress-only";
  let egressInside: string | undefined;
  if (opts.egress && "url" in opts.egress) egressInside = opts.egress.url;
  else if (opts.egress && "socket" in opts.egress) {
    if (opts.socat) egressInside = `http://127.0.0.1:${EGRESS_PORT}`;
    else notes.push("socat is missing, so the server has no network at all (apt-get install socat)");
  } else if (!record) notes.push("No egress proxy: the server has no network at all");
  if (egressInside) {
    const socks = egressInside.replace(/^http:/, "socks5h:");
    for (const k of ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"]) env[k] = egressInside;
    for (const k of ["ALL_PROXY", "all_proxy"]) env[k] = socks;
    for (const k of ["NO_PROXY", "no_proxy"]) delete env[k];
    env.NODE_USE_ENV_PROXY = "1"; // Node 24+ honours the variables in fetch; older Node fails closed
    envReasons.push({
      value: "HTTP(S)_PROXY, ALL_PROXY",
      ruleId: "sandbox/egress",
      why: "every connection goes through the egress proxy",
    });
  }

  // bwrap's command line.
  const args = ["--die-with-parent", "--new-session", "--info-fd", "3"];
  if (record) {
    args.push(
      "--unshare-user-try",
      "--unshare-pid",
      "--unshare-ipc",
      "--unshare-uts",
      "--unshare-cgroup-try",
    );
  } else args.push("--unshare-all", "--cap-drop", "ALL");
  for (const m of mounts) {
    switch (m.op) {
      case "ro":
        args.push("--ro-bind", m.path, m.path);
        break;
      case "rw":
        args.push("--bind", m.path, m.path);
        break;
      case "tmpfs":
        args.push("--tmpfs", m.path);
        break;
      case "hide-dir":
        args.push("--perms", "0000", "--tmpfs", m.path, "--remount-ro", m.path);
        break;
      case "hide-file":
        args.push("--ro-bind", "/dev/null", m.path);
        break;
      case "symlink":
        args.push("--symlink", m.target!, m.path);
        break;
      case "proc":
        args.push("--proc", m.path);
        break;
      case "dev":
        args.push(record ? "--dev-bind" : "--dev", ...(record ? [m.path, m.path] : [m.path]));
        break;
    }
  }
  const cwdVisible = record || sorted.some((m) => isWithin(opts.cwd, m.path));
  if (!cwdVisible) {
    notes.push(`The server's folder "${opts.cwd}" is not visible in the sandbox; it starts in the home`);
  }
  args.push("--chdir", cwdVisible ? opts.cwd : normalizeAbsolute(opts.home));
  let exec = needs.argv;
  if (!record && opts.egress && "socket" in opts.egress && opts.socat) {
    args.push("--bind", opts.egress.socket, EGRESS_SOCKET_INSIDE);
    // socat bridges the sandbox's own loopback port to the proxy's socket; the server starts once it listens
    // (its row in /proc/net/tcp: 0A = LISTEN), so the first connection never races the bridge.
    const hex = EGRESS_PORT.toString(16).toUpperCase().padStart(4, "0");
    const script = `${opts.socat} TCP-LISTEN:${EGRESS_PORT},bind=127.0.0.1,fork,reuseaddr ` +
      `UNIX-CONNECT:${EGRESS_SOCKET_INSIDE} 2>/dev/null & ` +
      `i=0; while [ $i -lt 400 ] && ! grep -q ':${hex} 00000000:0000 0A' /proc/net/tcp; do i=$((i+1)); sleep 0.005; done; ` +
      `exec "$@"`;
    exec = ["/bin/sh", "-c", script, "agentperms-sandbox", ...needs.argv];
  }
  const optionsEnd = args.length;
  args.push("--", ...exec);
  // Record mode's strace runs outside the sandbox, around bwrap: its log is out of the server's reach, so
  // the server can neither forge what infer learns nor stop its tracer (bwrap's own set-up under /newroot
  // is left out when the log is read).
  const traced = record && opts.fileTrace
    ? {
      command: opts.fileTrace.strace,
      args: [...straceArgs(opts.fileTrace.strace, opts.fileTrace.log).slice(1), opts.bwrap, ...args],
    }
    : { command: opts.bwrap, args };
  const start = traced.args.length - args.length;
  return {
    ...traced,
    bwrapOptions: { start, end: start + optionsEnd },
    env,
    clearEnv: true,
    cwd: "/",
    mounts,
    envReasons,
    network,
    notes,
    sandboxInfoFd: 3,
  };
}

/**
 * Binds above which they are merged: bubblewrap takes at most 9,000 arguments in all (`--args` files
 * included), three per bind, and the system folders, hidden places and the rest need their share.
 */
const MAX_BINDS = 2_000;

/**
 * Keeps the number of binds under {@link MAX_BINDS} without showing more than the policy grants at start: a
 * bind inside another of the same kind is dropped (it adds nothing), then a folder whose every entry is bound
 * the same way is bound whole instead of entry by entry, deepest folders first. Entries made in such a folder
 * after the start are visible too (said in a note); a policy that still needs more binds is refused by
 * bwrap, with its own message.
 */
function coalesceBinds(binds: Map<string, Mount>, host: RuntimeHost, notes: string[]): void {
  if (binds.size <= MAX_BINDS) return;
  const before = binds.size;
  // Nested binds of the same kind.
  const outer = new Map<string, PathSet>([["ro", new PathSet()], ["rw", new PathSet()]]);
  for (const m of [...binds.values()].sort((a, b) => a.path.length - b.path.length)) {
    const set = outer.get(m.op)!;
    if (m.path !== "/" && set.holds(m.path)) binds.delete(m.path);
    else set.add(m.path);
  }
  // Folders whose every entry is bound the same way, deepest first, until under the limit.
  let merged = 0;
  for (let progress = true; binds.size > MAX_BINDS && progress;) {
    progress = false;
    const byParent = new Map<string, Mount[]>();
    for (const m of binds.values()) {
      const cut = m.path.lastIndexOf("/");
      if (cut <= 0) continue;
      const parent = m.path.slice(0, cut);
      const l = byParent.get(parent);
      if (l) l.push(m);
      else byParent.set(parent, [m]);
    }
    const parents = [...byParent.keys()].sort((a, b) => depth(b) - depth(a));
    for (const parent of parents) {
      const kids = byParent.get(parent)!;
      const op = kids[0]!.op;
      if (kids.length < 2 || kids.some((k) => k.op !== op) || binds.has(parent)) continue;
      const names = new Set(kids.map((k) => k.path.slice(parent.length + 1)));
      const entries = host.list(parent);
      if (entries.length !== names.size || entries.some((e) => !names.has(e))) continue;
      for (const k of kids) binds.delete(k.path);
      binds.set(parent, { ...kids[0]!, op, path: parent });
      merged++;
      progress = true;
      if (binds.size <= MAX_BINDS) break;
    }
  }
  notes.push(
    `The policy grants ${before} separate paths, more than the sandbox can bind one by one (${MAX_BINDS}); ` +
      `${
        before - binds.size
      } were merged into ${merged} folder(s) whose every entry is granted (entries made ` +
      `there after the start are visible too)${
        binds.size > MAX_BINDS ? `; ${binds.size} binds remain, which may exceed bubblewrap's limit` : ""
      }`,
  );
}

/** bubblewrap's limit on its arguments, all `--args` files included (MAX_ARGS in bubblewrap.c). */
const BWRAP_MAX_ARGS = 9_000;

/** bubblewrap arguments a file view takes. */
function mountArgs(mounts: readonly Mount[]): number {
  let n = 0;
  for (const m of mounts) n += m.op === "hide-dir" ? 6 : m.op === "tmpfs" || m.op === "proc" ? 2 : 3;
  return n;
}

/**
 * When the file view would exceed bubblewrap's argument limit, folders whose every entry is hidden are hidden
 * whole instead, deepest first (this hides no less: the folder's own listing goes too). Never the working
 * folder, the home, a system folder or anything holding them.
 */
function coalesceHides(mounts: Mount[], host: RuntimeHost, notes: string[], keep: readonly string[]): void {
  if (mountArgs(mounts) + 40 <= BWRAP_MAX_ARGS) return;
  const isHide = (m: Mount) => m.op === "hide-dir" || m.op === "hide-file";
  let merged = 0;
  for (let progress = true; progress && mountArgs(mounts) + 40 > BWRAP_MAX_ARGS;) {
    progress = false;
    const byParent = new Map<string, Mount[]>();
    for (const m of mounts) {
      if (!isHide(m)) continue;
      const cut = m.path.lastIndexOf("/");
      if (cut <= 0) continue;
      const parent = m.path.slice(0, cut);
      const l = byParent.get(parent);
      if (l) l.push(m);
      else byParent.set(parent, [m]);
    }
    for (const parent of [...byParent.keys()].sort((a, b) => depth(b) - depth(a))) {
      const kids = byParent.get(parent)!;
      if (kids.length < 2 || keep.some((k) => isWithin(k, parent))) continue;
      const names = new Set(kids.map((k) => k.path.slice(parent.length + 1)));
      const entries = host.list(parent);
      if (entries.length !== names.size || entries.some((e) => !names.has(e))) continue;
      const gone = new Set(kids);
      const at = mounts.indexOf(kids[0]!);
      const rest = mounts.filter((m) => !gone.has(m));
      rest.splice(Math.min(at, rest.length), 0, { ...kids[0]!, op: "hide-dir", path: parent });
      mounts.length = 0;
      mounts.push(...rest);
      merged++;
      progress = true;
      if (mountArgs(mounts) + 40 <= BWRAP_MAX_ARGS) break;
    }
  }
  if (merged > 0) {
    notes.push(
      `${merged} folder(s) whose every entry is hidden are hidden whole, to stay within bubblewrap's limits`,
    );
  }
}

/** The fd bubblewrap reads its options from (`--args 4`); 0-2 are stdio and 3 is `--info-fd`. */
const ARGS_FD = 4;

/**
 * The same launch with bwrap's options read from a file instead of the command line, so no argument list
 * grows with the policy (the kernel refuses a command line over ARG_MAX, and one argument over 128 KiB). A
 * shell opens the file on fd 4 and execs the launcher (bwrap, or strace around it in record mode), which
 * inherits the fd; bwrap reads it with `--args 4` and does not pass it on to the server.
 * @param plan a launch from {@link planOsLaunch}
 * @param file where the options will be written (a private folder: `data` must be written there, mode 0600,
 *   before the launch starts)
 * @returns the launch and the NUL-separated options to write
 */
export function withArgsFile(plan: OsLaunchPlan, file: string): { plan: OsLaunchPlan; data: Uint8Array } {
  const { start, end } = plan.bwrapOptions;
  const options = plan.args.slice(start, end);
  const data = new TextEncoder().encode(options.map((o) => `${o}\0`).join(""));
  const args = [
    "-c",
    `exec ${ARGS_FD}<"$0" || exit 126; exec "$@"`,
    file,
    plan.command,
    ...plan.args.slice(0, start),
    "--args",
    String(ARGS_FD),
    ...plan.args.slice(end),
  ];
  return { plan: { ...plan, command: "/bin/sh", args, bwrapOptions: { start: 0, end: 0 } }, data };
}

/** Bytes of bwrap options above which {@link withArgsFile} is used (well under ARG_MAX's 2 MiB with the env). */
export const ARGS_FILE_THRESHOLD = 64 * 1024;

/** Home files and folders whose content runs later outside any sandbox. */
const HOME_STARTUP = [
  ".bashrc",
  ".bash_profile",
  ".bash_login",
  ".bash_logout",
  ".profile",
  ".zshrc",
  ".zshenv",
  ".zprofile",
  ".zlogin",
  ".config/fish",
  ".config/autostart",
  ".config/systemd",
  ".config/environment.d",
  ".local/bin",
  ".gitconfig",
  ".config/git",
  ".pam_environment",
  ".xprofile",
  ".xinitrc",
  ".xsessionrc",
];
/** The same inside any writable folder: what git, direnv and editors run when the user next works there. */
const WORKSPACE_STARTUP = [".git/hooks", ".git/config", ".envrc", ".vscode"];

/** Folders of the home that hold state servers write: private and writable too, their entries read-only. */
const STATE_DIRS = new Set([".cache", ".config", ".local", ".local/share", ".local/state"]);

/**
 * The real home's entries inside the private home: read-only binds (links kept as links), and the state
 * folders (`STATE_DIRS`) as private writable folders holding their own entries read-only.
 */
function homeLayer(
  dir: string,
  rel: string,
  out: Mount[],
  host: RuntimeHost,
  ruleId: string,
  why: string,
): void {
  for (const name of host.list(dir)) {
    const p = `${dir}/${name}`;
    const r = rel === "" ? name : `${rel}/${name}`;
    const k = host.kind(p);
    if (k === "link") {
      const t = host.readlink?.(p);
      if (t !== undefined) out.push({ op: "symlink", path: p, target: t, ruleId, why });
    } else if (k === "dir" && STATE_DIRS.has(r)) {
      out.push({
        op: "tmpfs",
        path: p,
        ruleId: "sandbox/base",
        why: "private and writable; its entries read-only",
      });
      homeLayer(p, r, out, host, ruleId, why);
    } else if (k !== undefined) out.push({ op: "ro", path: p, ruleId, why });
  }
}

function depth(p: string): number {
  return p === "/" ? 0 : p.split("/").length - 1;
}

function linkOf(p: string, host: RuntimeHost): string | undefined {
  const real = host.realpath(p);
  if (real === undefined) return undefined;
  // Keep merged-usr links relative to / (as the host has them): /bin -> usr/bin.
  return real.startsWith("/") ? real.slice(1) : real;
}
