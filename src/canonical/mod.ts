/**
 * The one canonicalizer: finds and resolves every path, URL, host and ref in a call.
 * @module
 */
export {
  isWindowsMode,
  isWithin,
  normalizeAbsolute,
  normalizeLiteral,
  type ResolvedPath,
  type ResolveOptions,
  resolvePath,
} from "./resolve_path.ts";
export {
  embeddedAddresses,
  looksLikeUrl,
  parseIpv4Loose,
  parseIpv6,
  type ResolvedUrl,
  resolveUrl,
  resolveUrlReadings,
} from "./resolve_url.ts";
export { foldToolName, TOOL_NAME_REGEXP } from "./fold_tool_name.ts";
export {
  bareCall,
  type CanonicalCall,
  canonicalizeCall,
  type CanonicalizeOptions,
  type CanonicalPath,
  type CanonicalRef,
  type CanonicalUrl,
  type Direction,
  type FoundValue,
  looksLikePath,
  type PermissionRequest,
  type RawCall,
} from "./canonicalize_call.ts";
export { type HostRealpath, hostRealpath, hostUserHome } from "./host_realpath.ts";
export { isWindowsRoot } from "./windows_path.ts";
export { rawCallArguments, rawCallOf } from "./raw_call.ts";
