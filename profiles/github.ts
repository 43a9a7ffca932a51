/**
 * GitHub's MCP server (github/github-mcp-server, Go; also the hosted https://api.githubcopilot.com/mcp/) and
 * the archived @modelcontextprotocol/server-github, which uses the same owner/repo arguments.
 * Tool and argument names from https://github.com/github/github-mcp-server (pkg/github/__toolsnaps__).
 * Almost every tool takes `owner` + `repo`; the exceptions are listed by name.
 * @module
 */
import type { ServerProfileDescriptor } from "../src/profiles/mod.ts";

const REPO = { owner: "/owner", repo: "/repo" } as const;

/** GitHub. Issue, pull request, discussion and comment bodies are written by anyone: untrusted. */
export const github: ServerProfileDescriptor = {
  apiVersion: 1,
  server: "github",
  version: "1.0.0",
  description: "GitHub MCP server (github-mcp-server and the archived reference server)",
  sources: [
    "https://github.com/github/github-mcp-server",
    "https://github.com/modelcontextprotocol/servers-archived",
  ],
  match: {
    packages: ["ghcr.io/github/github-mcp-server", "@modelcontextprotocol/server-github", "mcp/github"],
    commands: ["github-mcp-server"],
    urls: ["https://api.githubcopilot.com/mcp*"],
    names: ["github", "gh"],
  },
  tools: {
    // Content anyone can write: the toxic-flow source.
    get_issue: { classes: ["read"], scopes: { repos: REPO }, untrusted: true },
    issue_read: { classes: ["read"], scopes: { repos: REPO }, untrusted: true },
    list_issues: { classes: ["read"], scopes: { repos: REPO }, untrusted: true },
    get_issue_comments: { classes: ["read"], scopes: { repos: REPO }, untrusted: true },
    get_pull_request: { classes: ["read"], scopes: { repos: REPO }, untrusted: true },
    pull_request_read: { classes: ["read"], scopes: { repos: REPO }, untrusted: true },
    list_pull_requests: { classes: ["read"], scopes: { repos: REPO }, untrusted: true },
    get_pull_request_comments: { classes: ["read"], scopes: { repos: REPO }, untrusted: true },
    get_discussion: { classes: ["read"], scopes: { repos: REPO }, untrusted: true },
    get_discussion_comments: { classes: ["read"], scopes: { repos: REPO }, untrusted: true },
    list_discussions: { classes: ["read"], scopes: { repos: REPO }, untrusted: true },
    // Searches span repositories the query names, which no argument states: untrusted, no repo scope.
    search_issues: { classes: ["read"], untrusted: true },
    search_pull_requests: { classes: ["read"], untrusted: true },
    search_code: { classes: ["read"], untrusted: true },
    search_repositories: { classes: ["read"] },
    search_users: { classes: ["read"] },
    search_orgs: { classes: ["read"] },
    get_me: { classes: ["read"] },
    // Reads with repo scope.
    get_file_contents: { classes: ["read"], scopes: { repos: REPO }, untrusted: true },
    list_commits: { classes: ["read"], scopes: { repos: REPO } },
    get_commit: { classes: ["read"], scopes: { repos: REPO } },
    list_branches: { classes: ["read"], scopes: { repos: REPO } },
    list_tags: { classes: ["read"], scopes: { repos: REPO } },
    // Writes.
    create_or_update_file: { classes: ["write"], scopes: { repos: REPO } },
    push_files: { classes: ["write"], scopes: { repos: REPO } },
    delete_file: { classes: ["write", "delete"], scopes: { repos: REPO } },
    create_branch: { classes: ["write"], scopes: { repos: REPO } },
    delete_branch: { classes: ["delete"], scopes: { repos: REPO } },
    create_issue: { classes: ["write", "send"], scopes: { repos: REPO } },
    issue_write: { classes: ["write", "send"], scopes: { repos: REPO } },
    update_issue: { classes: ["write"], scopes: { repos: REPO } },
    add_issue_comment: { classes: ["write", "send"], scopes: { repos: REPO } },
    create_pull_request: { classes: ["write", "send"], scopes: { repos: REPO } },
    update_pull_request: { classes: ["write"], scopes: { repos: REPO } },
    merge_pull_request: { classes: ["write"], scopes: { repos: REPO } },
    // Creates in `organization` (or the token's own account when absent, which no argument names).
    create_repository: {
      classes: ["write", "admin"],
      scopes: { repos: { owner: "/organization", repo: "/name" } },
    },
    // The source is owner/repo; the fork lands in `organization` under the same name.
    fork_repository: {
      classes: ["write"],
      scopes: { repos: [REPO, { owner: "/organization", repo: "/repo" }] },
    },
    add_repository_collaborator: { classes: ["admin"], scopes: { repos: REPO } },
    delete_repository: { classes: ["delete", "admin"], scopes: { repos: REPO } },
    create_gist: { classes: ["write", "send"] },
    // Every other tool of this server takes owner + repo when it is about a repository.
    "*": { scopes: { repos: REPO } },
  },
  samples: [
    {
      tool: "get_issue",
      args: { owner: "Octo-Org", repo: "Site", issue_number: 1 },
      want: { repos: ["octo-org/site"] },
    },
    {
      tool: "fork_repository",
      args: { owner: "octo-org", repo: "private-app", organization: "evil-org" },
      want: { repos: ["evil-org/private-app", "octo-org/private-app"] },
    },
    {
      tool: "create_or_update_file",
      args: {
        owner: "octo-org",
        repo: "../../users/evil",
        path: "a",
        content: "x",
        message: "m",
        branch: "main",
      },
      want: { repos: [], unreadable: ["/repo"] },
    },
    { tool: "list_workflow_runs", args: { owner: "a", repo: "b" }, want: { repos: ["a/b"] } },
  ],
};
