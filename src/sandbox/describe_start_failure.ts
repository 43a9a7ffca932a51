/** A server that stopped before it answered, explained: the likely cause, the fix, and its last stderr lines. */
export interface StartFailure {
  /** `denied-read`, `denied-write`, `missing-env`, `missing-module`, `network`, `sandbox`, or `unknown`. */
  cause: string;
  /** One sentence: what most likely happened and what to change. */
  message: string;
  /** The last lines of the server's stderr (already in the message's end). */
  tail: string;
}

interface Rule {
  cause: string;
  test: RegExp;
  explain: (m: RegExpExecArray, contained: boolean) => string;
}

const STACK_LINE_REGEXP =
  /^\s+at |^\s*(?:errno|code|syscall|path|dest|address|port):|^\s*[{}]\s*$|^Node\.js v\d|^\s*\^+\s*$|^\s*Traceback|^\s+File "/;

const RULES: Rule[] = [
  {
    cause: "sandbox",
    test: /^bwrap: (.*)$/m,
    explain: (m) =>
      `the OS sandbox could not start the server (bwrap: ${
        m[1]
      }); run "agentperms doctor" or set sandbox.fallback`,
  },
  {
    cause: "missing-env",
    test:
      /Requires env access to "([^"]+)"|\b([A-Z][A-Z0-9_]{2,})\b[^\n]{0,40}?(?:environment variable[^\n]{0,20})?(?:is (?:not set|required|missing|undefined)|must be set)|(?:missing|required|set the) (?:environment variable|env(?:ironment)? var(?:iable)?)s?:? *"?([A-Z][A-Z0-9_]{2,})/,
    explain: (m) => {
      const name = m[1] ?? m[2] ?? m[3];
      return `the server needs the environment variable ${name}: set it for this server in the client config, or add it to the policy's sandbox.env`;
    },
  },
  {
    cause: "missing-module",
    test:
      /(?:Cannot find (?:module|package) ['"]([^'"]+)['"]|ERR_MODULE_NOT_FOUND[^\n]*?['"]([^'"]+)['"]|Import "([^"]+)" not a dependency|ModuleNotFoundError: No module named '([^']+)')/,
    explain: (m, contained) =>
      `the server cannot load "${m[1] ?? m[2] ?? m[3] ?? m[4]}"${
        contained
          ? ": its package folder may not be visible in the sandbox (see agentperms sandbox explain)"
          : ""
      }`,
  },
  {
    cause: "denied-write",
    test:
      /(?:EROFS|Read-only file system|(?:ENOENT|EACCES)[^\n]*?\b(?:mkdir|rename|unlink|symlink|copyfile)\b)(?:[^\n]*?(?:'([^']+)'|"([^"]+)"))?/,
    explain: (m) =>
      `the server tried to write${
        m[1] ?? m[2] ? ` "${m[1] ?? m[2]}"` : ""
      } outside what the policy lets it write: add the folder to allowed_paths (with a write tool allowed) or sandbox.write`,
  },
  {
    cause: "denied-read",
    test:
      /(?:ENOENT|EACCES|No such file or directory|Permission denied|Requires read access to)[^\n]*?(?:'(\/[^']+)'|"(\/[^"]+)"|(\/[^\s:'"]+))/,
    explain: (m, contained) =>
      `the server could not open "${m[1] ?? m[2] ?? m[3]}"${
        contained
          ? ": it is not visible in the sandbox; add it to allowed_paths or sandbox.read if the server should read it"
          : ""
      }`,
  },
  {
    cause: "network",
    test:
      /(?:ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ENETUNREACH|Network is unreachable|AgentPerms egress)(?:[^\n]*?\b([a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})\b)?/i,
    explain: (m, contained) =>
      `the server could not reach ${m[1] ? `"${m[1]}"` : "the network"}${
        contained
          ? ": add the host to allowed_hosts (or sandbox.net); every connection goes through the egress proxy"
          : ""
      }`,
  },
];

/**
 * Explains why a server exited before it answered, from its exit code and the end of its stderr.
 * @param code the exit code
 * @param stderrTail the last lines the server wrote to stderr
 * @param contained whether it ran in a sandbox (changes the advice)
 * @returns the cause and a one-sentence message ending in the stderr lines
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeStartFailure } from "./mod.ts";
 * const f = describeStartFailure(1, "Error: BRAVE_API_KEY environment variable is required", true);
 * assert.equal(f.cause, "missing-env");
 * ```
 */
export function describeStartFailure(code: number, stderrTail: string, contained: boolean): StartFailure {
  // Stack frames and Node's `{ errno, code, syscall, path }` block would push the error line out of view.
  const tail = stderrTail.split("\n").map((l) => l.trimEnd())
    .filter((l) => l !== "" && !STACK_LINE_REGEXP.test(l))
    .slice(-8).join("\n");
  for (const r of RULES) {
    const m = r.test.exec(tail);
    if (m) {
      return { cause: r.cause, message: `${r.explain(m, contained)} (exit code ${code})${last(tail)}`, tail };
    }
  }
  return {
    cause: "unknown",
    message: `the server exited with code ${code}${tail ? last(tail) : " and wrote nothing to stderr"}`,
    tail,
  };
}

function last(tail: string): string {
  return tail ? `; its stderr ended with: ${tail.split("\n").slice(-3).join(" | ").slice(-600)}` : "";
}
