/**
 * The one canonicalizer: finds and resolves every path, URL, host and ref in a call.
 * @module
 */
export {
  isWithin,
  normalizeAbsolute,
  type ResolvedPath,
  type ResolveOptions,
  resolvePath,
} from "./resolve_path.ts";
export { looksLikeUrl, parseIpv4Loose, type ResolvedUrl, resolveUrl } from "./resolve_url.ts";
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
export { hostRealpath } from "./host_realpath.ts";
