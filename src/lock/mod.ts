/**
 * Lock: pinned MCP server identity and tool signatures, drift detection for `lock --check`
 * and for the proxy at runtime.
 * @module
 */
export { listServer, type ListServerOptions, type ServerLaunch, type ServerListing } from "./list_server.ts";
