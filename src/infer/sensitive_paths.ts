import { isWithin } from "../canonical/mod.ts";

/** Secret locations under the home directory seeded into every inferred server's `denied_paths`. */
export const SEEDED_DENIED_PATHS: readonly string[] = [
  "~/.ssh",
  "~/.aws",
  "~/.gnupg",
  "~/.kube",
  "~/.azure",
  "~/.config/gcloud",
  "~/.docker/config.json",
  "~/.netrc",
  "~/.git-credentials",
];

/** Secret file-name patterns seeded into every inferred server's `denied_patterns`. */
export const SEEDED_DENIED_PATTERNS: readonly string[] = [
  ".env",
  ".env.*",
  "*.pem",
  "*.key",
  "*.p12",
  "*.pfx",
  "id_rsa*",
  "id_ed25519*",
  "id_ecdsa*",
  "id_dsa*",
];

const SENSITIVE_SEGMENTS = new Set([".ssh", ".aws", ".gnupg", ".kube", ".azure"]);
const SENSITIVE_BASENAME_REGEXP =
  /^(?:\.env(?:\..*)?|.*\.(?:pem|key|p12|pfx)|id_(?:rsa|ed25519|ecdsa|dsa).*|\.netrc|\.git-credentials|shadow|gshadow|sudoers)$/i;
const SENSITIVE_ABSOLUTE: readonly string[] = [
  "/etc/shadow",
  "/etc/gshadow",
  "/etc/sudoers",
  "/etc/sudoers.d",
];

/**
 * True when an absolute path lies in a secret location: under `~/.ssh`, `~/.aws`, `~/.gnupg` (or any `.ssh` /
 * `.aws` / `.gnupg` directory), `~/.config/gcloud`, `~/.docker/config.json`, or names a secret file (`.env`,
 * `.env.*`, `*.pem`, `*.key`, `id_rsa*`, `id_ed25519*`…). Case-insensitive, because macOS and Windows are.
 * @param abs an absolute, normalized path
 * @param home the home directory
 * @returns whether the path must never be allowlisted
 */
export function isSensitivePath(abs: string, home: string): boolean {
  const lower = abs.toLowerCase();
  const segs = lower.split("/");
  if (segs.some((s) => SENSITIVE_SEGMENTS.has(s))) return true;
  if (segs.some((s) => SENSITIVE_BASENAME_REGEXP.test(s))) return true;
  if (SENSITIVE_ABSOLUTE.some((p) => isWithin(lower, p))) return true;
  const h = home.toLowerCase();
  if (h !== "/" && h !== "") {
    for (const rel of [".config/gcloud", ".docker/config.json"]) {
      if (isWithin(lower, `${h}/${rel}`)) return true;
    }
  }
  return false;
}

/**
 * True when an absolute path is too broad to allowlist: the root, a top-level directory (`/etc`, `/usr`,
 * `/home`, `/tmp`…), the home directory or any of its ancestors.
 * @param abs an absolute, normalized path
 * @param home the home directory
 * @returns whether the path must never appear in allowed_paths
 */
export function isTooBroadPath(abs: string, home: string): boolean {
  if (abs === "/" || abs.split("/").length <= 2) return true;
  if (home !== "/" && home !== "" && isWithin(home, abs)) return true;
  return false;
}
