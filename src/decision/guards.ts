import type { CanonicalCall } from "../canonical/mod.ts";
import { TOOL_NAME_REGEXP } from "../canonical/mod.ts";
import type { GuardId } from "../policy/mod.ts";

/** A built-in guard: universal invariants on by default, each switchable off by id. */
export interface Guard {
  /** Kebab-case id (`guard/<id>` in rule ids). */
  id: GuardId;
  /** One line on what it stops. */
  summary: string;
  /** Returns a reason when the call violates the guard. */
  check(call: CanonicalCall): string | undefined;
}

const METADATA_HOSTS = new Set([
  "metadata.google.internal",
  "metadata.goog",
  "metadata",
  "metadata.azure.internal",
  "instance-data",
  "instance-data.ec2.internal",
  "metadata.tencentyun.com",
  "metadata.platformequinix.com",
]);
const METADATA_IPV4 = new Set(["100.100.100.200", "192.0.0.192"]);

function isBlockedIpv4(ip: string): boolean {
  return ip.startsWith("169.254.") || METADATA_IPV4.has(ip);
}

function isBlockedIpv6(ip: string): boolean {
  const h = ip.toLowerCase().replace(/%.*$/s, "");
  return /^fe[89ab][0-9a-f]?:/.test(h) || h === "fd00:ec2::254" || h.startsWith("fd00:ec2:");
}

/** The metadata or link-local address a URL's host is, maps or spells out in its name, if any. */
function blockedAddress(u: CanonicalCall["urls"][number]): string | undefined {
  if (METADATA_HOSTS.has(u.host)) return u.host;
  if (u.ipv4 !== undefined && isBlockedIpv4(u.ipv4)) return u.ipv4;
  if (u.ipv6 !== undefined && isBlockedIpv6(u.ipv6)) return u.ipv6;
  // DNS-rebinding and wildcard-DNS names answer with the address they spell, at a time the attacker picks.
  return u.embedded?.find((a) => a.includes(":") ? isBlockedIpv6(a) : isBlockedIpv4(a));
}

/** The built-in guards, in evaluation order. */
export const GUARDS: readonly Guard[] = [
  {
    id: "nul-byte",
    summary: "A NUL byte in a path or URL truncates it differently for the server than for the policy",
    check: (call) => {
      const hit = call.paths.find((p) => p.nul) ?? call.urls.find((u) => u.raw.includes("\0"));
      return hit ? `argument "${hit.pointer || hit.key}" contains a NUL byte` : undefined;
    },
  },
  {
    id: "tool-name-charset",
    summary:
      "Tool names outside the MCP charset (SEP-986) hide homoglyphs, whitespace and control characters",
    check: (call) =>
      call.method === "tools/call" && call.tool !== undefined && !TOOL_NAME_REGEXP.test(call.tool)
        ? `tool name ${JSON.stringify(call.tool)} has characters outside [A-Za-z0-9_.-] or is too long`
        : undefined,
  },
  {
    id: "metadata-host",
    summary: "Cloud metadata and link-local addresses leak instance credentials (SSRF)",
    check: (call) => {
      for (const u of call.urls) {
        const hit = blockedAddress(u);
        if (hit !== undefined) return `"${u.raw}" points at a cloud metadata or link-local address (${hit})`;
      }
      return undefined;
    },
  },
  {
    id: "file-url",
    summary:
      "A file: URL where a network URL is expected reads local files; one no URL parser can read names no certain path",
    check: (call) => {
      const hit = call.fileUrls[0];
      if (hit) return `argument "${hit.key}" is a file: URL where a network URL is expected`;
      const unsure = call.paths.find((p) => p.uncertain !== undefined);
      return unsure ? `argument "${unsure.pointer || unsure.key}": ${unsure.uncertain}` : undefined;
    },
  },
  {
    id: "option-injection",
    summary: "A value handed to a program that starts with '-' is read as a command-line option",
    check: (call) => {
      const hit = call.options?.[0];
      return hit
        ? `argument "${hit.key}" starts with "-" and would be read as an option ("${hit.value}")`
        : undefined;
    },
  },
];
