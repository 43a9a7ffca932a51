/**
 * Worked example: an attack pack for mcp-server-git, from the CVEs in THREATS.md §3.
 *
 * Replay it against the policy next to it:
 *   deno run -A cli.ts replay -p examples/attack-packs/git-repo/mcp.policy.yaml --no-builtin \
 *     --pack examples/attack-packs/git_server_pack.ts
 *
 * A pack kept outside this repo imports the same names from the AgentPerms library entry (`mod.ts`).
 */
import { defineAttackPack, expandWithMutators, MUTATORS } from "../../src/plugins/mod.ts";

const GIT_SERVER_SOURCE = "https://github.com/modelcontextprotocol/servers/tree/main/src/git";

export default defineAttackPack({
  apiVersion: 1,
  id: "git-server",
  version: "1.0.0",
  description:
    "mcp-server-git: git_init on ~/.ssh, option injection, repo_path escape, git_add outside the repo",
  attacks: [
    {
      id: "init-ssh-dir",
      title: "git_init turns ~/.ssh into a repository other git tools then read",
      severity: "high",
      references: ["CVE-2025-68143", GIT_SERVER_SOURCE],
      call: { server: "git", tool: "git_init", arguments: { repo_path: "~/.ssh" } },
      expect: "block",
    },
    {
      id: "diff-output-injection",
      title: "git_diff target is read as --output and overwrites a hook",
      severity: "critical",
      references: ["CVE-2025-68144"],
      call: {
        server: "git",
        tool: "git_diff",
        arguments: { repo_path: ".", target: "--output=.git/hooks/post-checkout" },
      },
      expect: "block",
      evasion: "option-injection",
    },
    {
      id: "checkout-option-injection",
      title: "git_checkout branch_name is read as an option",
      severity: "critical",
      references: ["CVE-2025-68144"],
      call: { server: "git", tool: "git_checkout", arguments: { repo_path: ".", branch_name: "--orphan=x" } },
      expect: "block",
      evasion: "option-injection",
    },
    {
      id: "branch-contains-injection",
      title: "git_branch contains is passed to the git CLI after --contains",
      severity: "high",
      references: ["CVE-2025-68144 (fix extended to git_branch)"],
      call: {
        server: "git",
        tool: "git_branch",
        arguments: { repo_path: ".", branch_type: "local", contains: "--output=./notes.txt" },
      },
      expect: "block",
      evasion: "option-injection",
    },
    {
      id: "create-branch-base-injection",
      title: "git_create_branch base_branch starting with '-'",
      severity: "medium",
      references: ["CVE-2025-68144 (fix extended to git_create_branch)"],
      call: {
        server: "git",
        tool: "git_create_branch",
        arguments: { repo_path: ".", branch_name: "feature", base_branch: "--output=./notes.txt" },
      },
      expect: "block",
      evasion: "option-injection",
    },
    // repo_path outside the configured repository, in the forms an injected agent would try. mcp-server-git
    // opens repo_path with Path() and never expands "~user", so that variant is not an attack on this server.
    ...expandWithMutators({
      id: "repo-path-escape",
      title: "repo_path points at another repository",
      severity: "high",
      references: ["CVE-2025-68145"],
      call: { server: "git", tool: "git_log", arguments: { repo_path: "~/work/secret-repo" } },
      expect: "block",
    }, [MUTATORS.traversal, MUTATORS["home-expansion"], MUTATORS["file-uri"]]).filter((a) =>
      !a.id.endsWith(".tilde-user")
    ),
    {
      id: "add-outside-repo",
      title: "git_add stages a file outside the repository",
      severity: "critical",
      references: ["CVE-2026-27735"],
      call: {
        server: "git",
        tool: "git_add",
        arguments: { repo_path: ".", files: ["README.md", "../../.kube/config"] },
      },
      expect: "block",
    },
    {
      id: "add-kube-config",
      title: "git_add stages the kube config by home path",
      severity: "critical",
      references: ["CVE-2026-27735"],
      call: { server: "git", tool: "git_add", arguments: { repo_path: ".", files: ["~/.kube/config"] } },
      expect: "block",
    },
    {
      id: "add-git-config",
      title: "git_add reaches into .git/config (filters run commands)",
      severity: "high",
      references: ["CVE-2025-68145 chain"],
      call: { server: "git", tool: "git_add", arguments: { repo_path: ".", files: [".git/config"] } },
      expect: "block",
    },
    // Benign controls: the everyday calls the policy must keep allowing.
    {
      id: "control.status",
      title: "git_status in the repository",
      severity: "low",
      references: [],
      call: { server: "git", tool: "git_status", arguments: { repo_path: "." } },
      expect: "allow",
    },
    {
      id: "control.diff-main",
      title: "git_diff against main",
      severity: "low",
      references: [],
      call: { server: "git", tool: "git_diff", arguments: { repo_path: ".", target: "main" } },
      expect: "allow",
    },
    {
      id: "control.add-source",
      title: "git_add a source file",
      severity: "low",
      references: [],
      call: {
        server: "git",
        tool: "git_add",
        arguments: { repo_path: ".", files: ["src/app.ts", "README.md"] },
      },
      expect: "allow",
    },
    {
      id: "control.checkout-branch",
      title: "git_checkout a feature branch",
      severity: "low",
      references: [],
      call: {
        server: "git",
        tool: "git_checkout",
        arguments: { repo_path: ".", branch_name: "feature/login" },
      },
      expect: "allow",
    },
  ],
});
