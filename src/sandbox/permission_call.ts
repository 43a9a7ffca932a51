import {
  bareCall,
  type CanonicalCall,
  looksLikeUrl,
  type ResolveOptions,
  resolvePath,
  resolveUrl,
} from "../canonical/mod.ts";
import { PERMISSION_METHOD } from "../decision/mod.ts";

/**
 * Turns one Deno permission check into the `CanonicalCall` that `decide()` judges: read/write values become
 * paths with their realpath form (so a symlink is judged by its target), net values become hosts.
 * @param server the server's policy name
 * @param req the check: `permission` kind and `value` as Deno sent them
 * @param opts cwd, home and realpath (the broker passes the host's realpath)
 * @returns the canonical call (method `deno/permission`)
 */
export function permissionCall(
  server: string,
  req: { permission: string; value: string | null },
  opts: ResolveOptions,
): CanonicalCall {
  const call: CanonicalCall = {
    ...bareCall(server, PERMISSION_METHOD, "server"),
    permission: { kind: req.permission, value: req.value },
  };
  const v = req.value;
  if (v === null || v === "") return call;
  if (req.permission === "read" || req.permission === "write") {
    call.paths.push({ ...resolvePath(v, opts), pointer: "/value", key: "value" });
  } else if (req.permission === "net") {
    const u = looksLikeUrl(v) ? resolveUrl(v) : resolveUrl(v, { bareHost: true });
    if (u) call.urls.push({ ...u, pointer: "/value", key: "value" });
    else call.malformed = `net value ${JSON.stringify(v)} is not a host`;
  }
  return call;
}
