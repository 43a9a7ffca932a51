import type { RuleInfo } from "./types.ts";

/** Every scan rule with its default severity and fix hint. Ids are API. */
export const RULES = {
  unpinnedPackage: {
    id: "unpinned-package",
    severity: "medium",
    title: "Server package is not pinned to an exact version",
    hint:
      "Pin the exact version (pkg@1.2.3, pkg==1.2.3, image@sha256:…) so an upstream release cannot change what runs",
  },
  sensitivePath: {
    id: "sensitive-path",
    severity: "high",
    title: "Server is given a sensitive path",
    hint:
      "Give the server only the project directory it needs, never home, /, ~/.ssh, ~/.aws, ~/.gnupg, ~/.config, .env or key files",
  },
  secretInConfig: {
    id: "secret-in-config",
    severity: "high",
    title: "Literal secret in the client config",
    hint:
      "Rotate it, then reference it instead (${input:…}, ${env:…} or an env var the client passes) so it is not stored in the file",
  },
  plainHttp: {
    id: "plain-http",
    severity: "medium",
    title: "Remote server over plain HTTP",
    hint: "Use https:// so tool calls and tokens are not sent in clear text",
  },
  autoApprove: {
    id: "auto-approve",
    severity: "medium",
    title: "Tools run without asking",
    hint: "Remove autoApprove / alwaysAllow / trust and let AgentPerms enforce a policy instead",
  },
  shellServer: {
    id: "shell-server",
    severity: "high",
    title: "Server can run shell commands",
    hint: "Avoid shell servers, or enforce a policy that allows only the commands you need",
  },
  notWrapped: {
    id: "not-wrapped",
    severity: "low",
    title: "Server is not behind AgentPerms",
    hint: "Run `agentperms record` to learn what it does, then `agentperms enforce`",
  },
  recordOnly: {
    id: "record-only",
    severity: "info",
    title: "Server runs behind the recording proxy only",
    hint: "Infer a policy from the traces (`agentperms infer`) and switch to `agentperms enforce`",
  },
  brokenWiring: {
    id: "broken-wiring",
    severity: "high",
    title: "Wired entry points at a file that does not exist",
    hint:
      "Run `agentperms record|enforce` again from the current install (or `--stop` to unwire); the client cannot start this server now",
  },
  configInWorkspace: {
    id: "config-in-workspace",
    severity: "medium",
    title: "Client config sits inside the workspace",
    hint:
      "An agent that can write the workspace can rewrite this file (and unwrap itself); keep MCP config in user scope or review changes to it",
  },
  configInvalid: {
    id: "config-invalid",
    severity: "medium",
    title: "Client config could not be read",
    hint: "Fix the file so it can be checked (and so the client reads what you think it reads)",
  },
  dangerousTool: {
    id: "dangerous-tool",
    severity: "high",
    title: "Server offers a dangerous tool",
    hint: "Deny or require approval for this tool in the policy (denied_tools / approval_required)",
  },
  toolPoisoning: {
    id: "tool-poisoning",
    severity: "high",
    title: "Tool description shows signs of prompt injection",
    hint: "Do not use this server until the description is explained; pin it with `agentperms lock`",
  },
  serverFailed: {
    id: "server-failed",
    severity: "medium",
    title: "Server could not be started or listed",
    hint: "Check the command, its env and cwd; a server that does not start cannot be checked",
  },
} as const satisfies Record<string, RuleInfo>;

/** All rules as a list (SARIF `tool.driver.rules`). */
export const RULE_LIST: readonly RuleInfo[] = Object.values(RULES);
