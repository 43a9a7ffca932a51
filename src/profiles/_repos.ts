/**
 * Reading a repository scope from what a tool is given: an owner and a name, a full name (`owner/name`,
 * GitLab `group/sub/name`), or a URL or git remote (https, ssh, scp-like `git@host:path`, git://).
 * A repository on github.com is `owner/name`; on any other host `host/path`, so a policy that allows
 * `octo-org/*` never allows `gitlab.example/octo-org/x`. Lowercased (GitHub and GitLab names are
 * case-insensitive).
 * @module
 */

// GitHub and GitLab path segments: letters, digits, `.`, `_`, `-`; never `.` or `..` (a traversal in an API
// path the server builds from the argument).
const SEGMENT_REGEXP = /^[a-z0-9_.-]+$/;
const SCP_REGEXP = /^(?:[a-z0-9._-]+@)?([a-z0-9.-]+):(?!\/\/)([^\s]+)$/;
const REMOTE_LINE_REGEXP = /^\S+\s+(\S+)(?:\s+\((?:fetch|push)\))?$/;
const GITHUB_HOSTS = new Set(["github.com", "www.github.com", "ssh.github.com", "api.github.com"]);

/** A read repository or why not. */
export type RepoReading = { ok: true; repo: string } | { ok: false; why: string };

const bad = (why: string): RepoReading => ({ ok: false, why });

function validSegments(parts: string[]): string | undefined {
  for (const p of parts) {
    if (!SEGMENT_REGEXP.test(p) || p === "." || p === "..") return `"${p}" is not a repository path segment`;
  }
  return undefined;
}

/**
 * Joins an owner and a name.
 * @param owner the owner argument
 * @param name the repository argument
 * @returns `owner/name`, lowercased, or why not
 */
export function repoFromParts(owner: unknown, name: unknown): RepoReading {
  if (typeof owner !== "string" || typeof name !== "string") {
    return bad("owner and name must both be strings");
  }
  const o = owner.trim().toLowerCase();
  const n = name.trim().toLowerCase().replace(/\.git$/, "");
  const err = validSegments([o, n]);
  return err ? bad(err) : { ok: true, repo: `${o}/${n}` };
}

/**
 * Reads a full name (`owner/name`, `group/sub/name`).
 * @param value the argument
 * @returns the name, lowercased, or why not
 */
export function repoFromFullName(value: unknown): RepoReading {
  if (typeof value !== "string") return bad("a full name must be a string");
  const parts = value.trim().toLowerCase().replace(/\.git$/, "").split("/");
  if (parts.length < 2) return bad(`"${value}" is not owner/name`);
  const err = validSegments(parts);
  return err ? bad(err) : { ok: true, repo: parts.join("/") };
}

/**
 * Reads a repository URL or git remote: `https://github.com/o/r(.git)(/tree/…)`, `git@github.com:o/r.git`,
 * `ssh://git@host:22/group/sub/r.git`, `git://host/r`, GitLab `https://gitlab.com/g/sub/r/-/tree/main`, or a
 * `git remote -v` line. Local paths and `file:` URLs are not remotes.
 * @param value the argument
 * @returns `owner/name` on github.com, else `host/path`, lowercased, or why not
 */
export function repoFromUrl(value: unknown): RepoReading {
  if (typeof value !== "string") return bad("a repository URL must be a string");
  let v = value.trim();
  const line = REMOTE_LINE_REGEXP.exec(v);
  if (line) v = line[1] ?? v;
  let host: string;
  let path: string;
  const scp = SCP_REGEXP.exec(v.toLowerCase());
  if (scp && !/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) {
    host = scp[1] ?? "";
    path = scp[2] ?? "";
  } else {
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      return bad(`"${value}" is not a repository URL`);
    }
    if (!["https:", "http:", "ssh:", "git:", "git+ssh:", "ssh+git:"].includes(u.protocol)) {
      return bad(`"${value}" is not a remote repository (${u.protocol} URL)`);
    }
    host = u.hostname.toLowerCase();
    try {
      path = decodeURIComponent(u.pathname);
    } catch {
      return bad(`"${value}" has a malformed path`);
    }
  }
  if (host === "") return bad(`"${value}" names no host`);
  let parts = path.toLowerCase().split("/").filter((p) => p !== "");
  // GitLab puts everything after the repository behind a `-` segment.
  const dash = parts.indexOf("-");
  if (dash >= 0) parts = parts.slice(0, dash);
  const github = GITHUB_HOSTS.has(host);
  if (github) {
    if (host === "api.github.com" && parts[0] === "repos") parts = parts.slice(1);
    parts = parts.slice(0, 2);
  }
  if (parts.length > 0) parts[parts.length - 1] = (parts.at(-1) ?? "").replace(/\.git$/, "");
  if (parts.length < (github ? 2 : 1)) return bad(`"${value}" names no repository`);
  const err = validSegments(parts);
  if (err) return bad(err);
  return { ok: true, repo: github ? parts.join("/") : `${host}/${parts.join("/")}` };
}
