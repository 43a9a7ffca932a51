/**
 * The MCP reference servers: filesystem, git, fetch, memory and everything.
 * Tool and argument names read from the packages this repository pins (`@modelcontextprotocol/server-*`
 * 2026.8.31 in deno.json) and from https://github.com/modelcontextprotocol/servers (src/git
 * tests/snapshots/list_tools.json, src/fetch).
 * @module
 */
import type { ServerProfileDescriptor } from "../src/profiles/mod.ts";

/** @modelcontextprotocol/server-filesystem: paths are judged by the canonicalizer; only classes here. */
export const filesystem: ServerProfileDescriptor = {
  apiVersion: 1,
  server: "filesystem",
  version: "1.0.0",
  description: "MCP reference filesystem server",
  sources: ["https://github.com/modelcontextprotocol/servers"],
  match: {
    packages: ["@modelcontextprotocol/server-filesystem", "mcp/filesystem"],
    names: ["filesystem", "fs"],
  },
  tools: {
    read_file: { classes: ["read"] },
    read_text_file: { classes: ["read"] },
    read_media_file: { classes: ["read"] },
    read_multiple_files: { classes: ["read"] },
    list_directory: { classes: ["read"] },
    list_directory_with_sizes: { classes: ["read"] },
    directory_tree: { classes: ["read"] },
    search_files: { classes: ["read"] },
    get_file_info: { classes: ["read"] },
    list_allowed_directories: { classes: ["read"] },
    write_file: { classes: ["write"] },
    edit_file: { classes: ["write"] },
    create_directory: { classes: ["write"] },
    // A move deletes the source name.
    move_file: { classes: ["write", "delete"] },
  },
  samples: [{ tool: "read_file", args: { path: "/w/a.txt" }, want: { repos: [], unreadable: [] } }],
};

/** mcp-server-git (Python, uvx): local repositories by path; the canonicalizer judges `repo_path`. */
export const git: ServerProfileDescriptor = {
  apiVersion: 1,
  server: "mcp-server-git",
  version: "1.0.0",
  description: "MCP reference git server",
  sources: ["https://github.com/modelcontextprotocol/servers"],
  match: { packages: ["mcp-server-git", "mcp/git"], commands: ["mcp-server-git"], names: ["git"] },
  tools: {
    git_status: { classes: ["read"] },
    git_diff_unstaged: { classes: ["read"] },
    git_diff_staged: { classes: ["read"] },
    git_diff: { classes: ["read"] },
    git_log: { classes: ["read"] },
    git_show: { classes: ["read"] },
    git_branch: { classes: ["read"] },
    git_commit: { classes: ["write"] },
    git_add: { classes: ["write"] },
    git_create_branch: { classes: ["write"] },
    git_checkout: { classes: ["write"] },
    // Unstages everything: destructive per the server's own annotations.
    git_reset: { classes: ["write", "delete"] },
    // Older releases.
    git_init: { classes: ["write"] },
  },
  samples: [{ tool: "git_status", args: { repo_path: "/w/r" }, want: { unreadable: [] } }],
};

/** mcp-server-fetch: one tool that reads any URL, so its hosts are its scope and its results are untrusted. */
export const fetch: ServerProfileDescriptor = {
  apiVersion: 1,
  server: "fetch",
  version: "1.0.0",
  description: "MCP reference fetch server",
  sources: ["https://github.com/modelcontextprotocol/servers"],
  match: { packages: ["mcp-server-fetch", "mcp/fetch"], commands: ["mcp-server-fetch"], names: ["fetch"] },
  tools: { fetch: { classes: ["read", "network"], scopes: { hosts: ["/url"] }, untrusted: true } },
  samples: [
    {
      tool: "fetch",
      args: { url: "https://Docs.Example.com/a", max_length: 5000 },
      want: { hosts: ["docs.example.com"] },
    },
    { tool: "fetch", args: { url: "::::" }, want: { hosts: [], unreadable: ["/url"] } },
  ],
};

/** @modelcontextprotocol/server-memory: a local knowledge graph. */
export const memory: ServerProfileDescriptor = {
  apiVersion: 1,
  server: "memory",
  version: "1.0.0",
  description: "MCP reference knowledge-graph memory server",
  sources: ["https://github.com/modelcontextprotocol/servers"],
  match: { packages: ["@modelcontextprotocol/server-memory", "mcp/memory"], names: ["memory"] },
  tools: {
    read_graph: { classes: ["read"] },
    search_nodes: { classes: ["read"] },
    open_nodes: { classes: ["read"] },
    create_entities: { classes: ["write"] },
    create_relations: { classes: ["write"] },
    add_observations: { classes: ["write"] },
    delete_entities: { classes: ["delete"] },
    delete_observations: { classes: ["delete"] },
    delete_relations: { classes: ["delete"] },
  },
  samples: [{ tool: "read_graph", args: {}, want: { unreadable: [] } }],
};

/** @modelcontextprotocol/server-everything: the protocol test server. */
export const everything: ServerProfileDescriptor = {
  apiVersion: 1,
  server: "everything",
  version: "1.0.0",
  description: "MCP reference test server exercising every protocol feature",
  sources: ["https://github.com/modelcontextprotocol/servers"],
  match: { packages: ["@modelcontextprotocol/server-everything", "mcp/everything"], names: ["everything"] },
  tools: {
    echo: { classes: ["read"] },
    "get-sum": { classes: ["read"] },
    "get-tiny-image": { classes: ["read"] },
    "get-annotated-message": { classes: ["read"] },
    "get-resource-links": { classes: ["read"] },
    "get-resource-reference": { classes: ["read"] },
    "get-structured-content": { classes: ["read"] },
    "get-roots-list": { classes: ["read"] },
    // Returns the server's environment: secrets live there.
    "get-env": { classes: ["read", "admin"] },
    // Fetches `data` when it is a URL.
    "gzip-file-as-resource": { classes: ["write", "network"], scopes: { hosts: ["/data"] }, untrusted: true },
    "trigger-url-elicitation": { classes: ["send"], scopes: { hosts: ["/url"] } },
    "trigger-sampling-request": { classes: ["send"] },
    "trigger-sampling-request-async": { classes: ["send"] },
    "trigger-elicitation-request": { classes: ["send"] },
    "trigger-elicitation-request-async": { classes: ["send"] },
    "trigger-long-running-operation": { classes: ["read"] },
    "toggle-simulated-logging": { classes: ["write"] },
    "toggle-subscriber-updates": { classes: ["write"] },
    "simulate-research-query": { classes: ["read"] },
    // Older releases' names.
    add: { classes: ["read"] },
    printEnv: { classes: ["read", "admin"] },
    longRunningOperation: { classes: ["read"] },
    sampleLLM: { classes: ["send"] },
  },
  samples: [
    {
      tool: "gzip-file-as-resource",
      args: { name: "x.gz", data: "https://raw.example.org/README.md" },
      want: { hosts: ["raw.example.org"] },
    },
  ],
};
