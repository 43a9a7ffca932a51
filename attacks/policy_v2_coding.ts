/**
 * Policy format 2 (#18) for a coding agent: another organization's repositories (by owner/repo, full name,
 * URL, fork target, case), pushes and pull requests to branches the policy does not list, deletes and settings
 * by tool class, and dangerous argument values (git `--upload-pack`, browser launch options). Each attack sits
 * beside benign calls that must stay allowed. Its policy is examples/policies/coding-agent.v2.mcp.policy.yaml:
 * `agentperms replay --policy` picks the pack for a format 2 policy that lists every server it calls.
 * @module
 */
import { defineAttackPack } from "../src/plugins/mod.ts";
import { attack, control, gh, ISSUE, REPO_SCOPE } from "./_policy_v2.ts";

/** The coding pack: every attack blocked and every control allowed on its example policy. */
export default defineAttackPack({
  apiVersion: 1,
  id: "policy-v2-coding",
  version: "1.0.0",
  description: "Coding agent (format 2): repository scopes, argument rules, classes, guard packs",
  attacks: [
    attack(
      "scopes",
      "issue-other-org",
      "Read an issue of another organization",
      gh("get_issue", {
        owner: "evil-org",
        repo: "payload",
        issue_number: 1,
      }),
      "high",
      [ISSUE, REPO_SCOPE],
    ),
    attack(
      "scopes",
      "write-other-org",
      "Write a file into another organization's repository",
      gh(
        "create_or_update_file",
        { owner: "other-org", repo: "site", path: "a.js", content: "x", message: "m", branch: "feature/x" },
      ),
      "critical",
      [ISSUE, REPO_SCOPE],
    ),
    attack(
      "scopes",
      "fork-out",
      "Fork a private repository into an outside organization",
      gh(
        "fork_repository",
        { owner: "octo-org", repo: "private-app", organization: "evil-org" },
      ),
      "critical",
      [ISSUE, REPO_SCOPE],
    ),
    attack(
      "scopes",
      "repo-traversal",
      "A repository name that climbs out of its owner",
      gh(
        "create_or_update_file",
        {
          owner: "octo-org",
          repo: "../../users/evil",
          path: "a",
          content: "x",
          message: "m",
          branch: "feature/x",
        },
      ),
    ),
    attack(
      "scopes",
      "owner-case",
      "Another organization in another case is still another",
      gh("list_commits", {
        owner: "EVIL-ORG",
        repo: "x",
      }),
    ),
    attack(
      "arguments",
      "pr-into-release",
      "A pull request into a branch the policy does not list",
      gh(
        "create_pull_request",
        { owner: "octo-org", repo: "app", title: "t", head: "feature/x", base: "release" },
      ),
    ),
    attack(
      "arguments",
      "push-to-main",
      "Push straight to main",
      gh("push_files", {
        owner: "octo-org",
        repo: "app",
        branch: "main",
        files: [{ path: "a", content: "b" }],
        message: "m",
      }),
      "critical",
    ),
    attack("arguments", "write-blob", "A multi-megabyte write", {
      server: "filesystem",
      tool: "write_file",
      arguments: { path: "./src/blob.txt", content: "x".repeat(200_001) },
    }, "medium"),
    attack("arguments", "git-outside-workspace", "git on a repository outside the workspace", {
      server: "git",
      tool: "git_status",
      arguments: { repo_path: "/home/user/other-project" },
    }),
    attack("arguments", "git-hooks", "git pointed at the workspace's hooks folder", {
      server: "git",
      tool: "git_log",
      arguments: { repo_path: "./.git/hooks" },
    }),
    attack(
      "classes",
      "delete-repository",
      "Delete a repository",
      gh("delete_repository", {
        owner: "octo-org",
        repo: "app",
      }),
      "critical",
    ),
    attack(
      "classes",
      "delete-branch",
      "Delete a branch",
      gh("delete_branch", {
        owner: "octo-org",
        repo: "app",
        branch: "main",
      }),
    ),
    attack(
      "classes",
      "add-collaborator",
      "Add an outside collaborator",
      gh("add_repository_collaborator", {
        owner: "octo-org",
        repo: "app",
        username: "mallory",
      }),
      "critical",
    ),
    attack(
      "classes",
      "unknown-delete-tool",
      "A delete tool no profile lists",
      gh("purge_old_workflows", {
        owner: "octo-org",
        repo: "app",
      }),
    ),
    attack(
      "guards",
      "git-upload-pack",
      "git clone with --upload-pack runs a program",
      {
        server: "git",
        tool: "git_clone",
        arguments: { repo_path: ".", url: "https://x.test/r.git", options: ["--upload-pack=touch /tmp/pwn"] },
      },
      "critical",
      [ISSUE, "CVE-2025-68144"],
    ),
    attack("guards", "git-ssh-command", "git -c core.sshCommand runs a program", {
      server: "git",
      tool: "git_fetch",
      arguments: { repo_path: ".", args: ["-c", "core.sshCommand=sh -c 'id>/tmp/x'", "fetch"] },
    }, "critical"),
    control(
      "scopes",
      "get-issue",
      "Read an issue of the organization",
      gh("get_issue", {
        owner: "Octo-Org",
        repo: "app",
        issue_number: 7,
      }),
    ),
    control(
      "scopes",
      "list-commits",
      "List commits of the organization's repository",
      gh("list_commits", {
        owner: "octo-org",
        repo: "app",
      }),
    ),
    control(
      "arguments",
      "push-feature",
      "Push to a feature branch",
      gh("push_files", {
        owner: "octo-org",
        repo: "app",
        branch: "feature/login",
        files: [{ path: "a", content: "b" }],
        message: "m",
      }),
    ),
    control("arguments", "git-status", "git status in the workspace", {
      server: "git",
      tool: "git_status",
      arguments: { repo_path: "." },
    }),
    control("arguments", "write-source", "Write a source file", {
      server: "filesystem",
      tool: "write_file",
      arguments: { path: "./src/app.ts", content: "export {};\n" },
    }),
    control("guards", "git-log", "git log with plain options", {
      server: "git",
      tool: "git_log",
      arguments: { repo_path: ".", max_count: 5 },
    }),
  ],
});
