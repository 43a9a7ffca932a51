import { defineAttackPack } from "../src/plugins/mod.ts";

// The original shipped no references; this names where the attack shapes come from.
const ORIGINAL_README = "agentperms 0.1.1 (Python) built-in replay pack";

/**
 * The original AgentPerms attack pack: the same eight attacks, ids and calls (ORIGINAL.md Part 2 §8).
 * Against `examples/policies/example.mcp.policy.yaml` the verdict is `8/8 attacks blocked.`
 */
export default defineAttackPack({
  apiVersion: 1,
  id: "original",
  version: "1.0.0",
  description: "The original agentperms v0.1 attack pack: eight real-world attack shapes",
  attacks: [
    {
      id: "ssh-key-exfil",
      title: "SSH key exfil",
      description: "Steals a private key",
      severity: "critical",
      references: [ORIGINAL_README],
      call: { server: "filesystem", tool: "read", arguments: { path: "~/.ssh/id_rsa" } },
      expect: "block",
    },
    {
      id: "env-secret-read",
      title: "Env secret read",
      description: "Leaks credentials",
      severity: "high",
      references: [ORIGINAL_README],
      call: { server: "filesystem", tool: "read", arguments: { path: "./.env" } },
      expect: "block",
    },
    {
      id: "pem-read",
      title: "Private cert read",
      description: "Reads a private key file",
      severity: "high",
      references: [ORIGINAL_README],
      call: { server: "filesystem", tool: "read", arguments: { path: "./certs/server.pem" } },
      expect: "block",
    },
    {
      id: "shell-exec",
      title: "Shell exec",
      description: "Arbitrary command execution",
      severity: "critical",
      references: [ORIGINAL_README],
      call: { server: "shell", tool: "exec", arguments: { command: "rm -rf /" } },
      expect: "block",
    },
    {
      id: "gmail-send",
      title: "Unapproved email",
      description: "Sends mail with no human in the loop",
      severity: "high",
      references: [ORIGINAL_README],
      call: { server: "gmail", tool: "send_email", arguments: { to: "x@y.com" } },
      expect: "block",
    },
    {
      id: "force-push",
      title: "Force push",
      description: "Rewrites history",
      severity: "high",
      references: [ORIGINAL_README],
      call: { server: "github", tool: "force_push", arguments: { repo: "x" } },
      expect: "block",
    },
    {
      id: "delete-repo",
      title: "Repo deletion",
      description: "Destroys a repository",
      severity: "critical",
      references: [ORIGINAL_README],
      call: { server: "github", tool: "delete_repo", arguments: { repo: "x" } },
      expect: "block",
    },
    {
      id: "db-write",
      title: "Destructive SQL",
      description: "Drops data",
      severity: "high",
      references: [ORIGINAL_README],
      call: { server: "postgres", tool: "execute_write", arguments: { sql: "DROP TABLE users" } },
      expect: "block",
    },
  ],
});
