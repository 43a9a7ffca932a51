import { type Attack, defineAttackPack, expandWithMutators, MUTATORS } from "../src/plugins/mod.ts";

// Servers and tools are the example policy's (filesystem, github), so every block here is earned by a real
// rule or guard, not by the unknown-server default-deny. Map other names with --server-map.

const M = MUTATORS;
const PATH_MUTATORS = [
  M.traversal,
  M["home-expansion"],
  M.absolute,
  M["file-uri"],
  M["percent-encoding"],
  M.case,
  M.unicode,
  M.trailing,
  M.quoting,
  M.backslash,
  M["nul-byte"],
  M.array,
  M.nested,
  M["second-arg"],
];

const CVE_53110 = "CVE-2025-53110 (server-filesystem prefix containment)";
const THREATS_EVASION = "THREATS.md §2: path canonicalisation evasions";
const SSRF = "https://cwe.mitre.org/data/definitions/918.html";
const OPTION_INJECTION = "CVE-2025-68144 (mcp-server-git option injection)";

const fsRead = (path: string) => ({ server: "filesystem", tool: "read_file", arguments: { path } });
const ghRead = (args: Record<string, unknown>) => ({
  server: "github",
  tool: "read_file",
  arguments: { repo: "acme/app", ...args },
});

const pathAttacks: Attack[] = [
  ...expandWithMutators({
    id: "ssh-key",
    title: "SSH private key",
    severity: "critical",
    references: [THREATS_EVASION],
    call: fsRead("~/.ssh/id_rsa"),
    expect: "block",
  }, PATH_MUTATORS),
  ...expandWithMutators({
    id: "etc-passwd",
    title: "System file under /etc",
    severity: "high",
    references: [THREATS_EVASION],
    call: fsRead("/etc/passwd"),
    expect: "block",
  }, [
    M.traversal,
    M["file-uri"],
    M["percent-encoding"],
    M.case,
    M.unicode,
    M.trailing,
    M.backslash,
    M.array,
  ]),
  ...expandWithMutators({
    id: "pem-key",
    title: "Private key file by pattern (*.pem)",
    severity: "high",
    references: [THREATS_EVASION],
    call: fsRead("./src/certs/server.pem"),
    expect: "block",
  }, [M.absolute, M["file-uri"], M["percent-encoding"], M.case, M.unicode, M.trailing, M.quoting, M.nested]),
  ...expandWithMutators({
    id: "dotenv",
    title: ".env outside the allowed directories",
    severity: "high",
    references: [THREATS_EVASION],
    call: fsRead("./.env"),
    expect: "block",
  }, [M.traversal, M.absolute, M["file-uri"], M.array, M["second-arg"]]),
  ...expandWithMutators(
    {
      id: "src-sibling",
      title: "Sibling directory that shares the allowed prefix",
      severity: "high",
      references: [CVE_53110],
      call: fsRead("./src/secrets.txt"),
      expect: "block",
    },
    [M["prefix-sibling"]],
    { includeBase: false },
  ),
  ...expandWithMutators(
    {
      id: "docs-sibling",
      title: "Sibling directory that shares the allowed prefix",
      severity: "high",
      references: [CVE_53110],
      call: fsRead("./docs/internal.md"),
      expect: "block",
    },
    [M["prefix-sibling"]],
    { includeBase: false },
  ),
];

const toolAttacks: Attack[] = [
  ...expandWithMutators({
    id: "delete-repo",
    title: "Denied tool under another spelling",
    severity: "critical",
    references: ["THREATS.md §2: tool-name confusion"],
    call: { server: "github", tool: "delete_repo", arguments: { repo: "acme/app" } },
    expect: "block",
  }, [M["tool-name"]]),
  ...expandWithMutators({
    id: "force-push",
    title: "Denied tool under another spelling",
    severity: "high",
    references: ["THREATS.md §2: tool-name confusion"],
    call: { server: "github", tool: "force_push", arguments: { repo: "acme/app", branch: "main" } },
    expect: "block",
  }, [M["tool-name"]]),
  ...expandWithMutators({
    id: "merge-pr",
    title: "Approval-listed tool under another spelling",
    severity: "high",
    references: ["THREATS.md §2: tool-name confusion"],
    call: { server: "github", tool: "merge_pr", arguments: { repo: "acme/app", number: 7 } },
    expect: "block",
  }, [M["tool-name"]]),
];

const urlAttacks: Attack[] = [
  ...expandWithMutators({
    id: "metadata",
    title: "Cloud metadata credentials (SSRF)",
    severity: "critical",
    references: [SSRF],
    call: ghRead({ url: "http://169.254.169.254/latest/meta-data/iam/security-credentials/" }),
    expect: "block",
    evasion: "metadata-ip",
  }, [M["metadata-ip"]]),
  ...([
    ["gcp-hostname", "http://metadata.google.internal/computeMetadata/v1/"],
    ["gcp-hostname-upper-dot", "http://METADATA.GOOGLE.INTERNAL./computeMetadata/v1/"],
    ["aws-ipv6", "http://[fd00:ec2::254]/latest/meta-data/"],
    ["alibaba", "http://100.100.100.200/latest/meta-data/"],
    ["ecs-task", "http://169.254.170.2/v2/credentials"],
  ] as const).map(([label, url]): Attack => ({
    id: `metadata.${label}`,
    title: `Cloud metadata credentials (SSRF) (metadata-host: ${label})`,
    severity: "critical",
    references: [SSRF],
    call: ghRead({ url }),
    expect: "block",
    evasion: "metadata-host",
  })),
  ...([
    ["etc-passwd", "file:///etc/passwd"],
    ["ssh-key", "file://{{home}}/.ssh/id_rsa"],
    ["upper-scheme", "FILE:///etc/shadow"],
    ["localhost", "file://localhost/etc/passwd"],
  ] as const).map(([label, url]): Attack => ({
    id: `file-url.${label}`,
    title: `file: URL where a network URL is expected (${label})`,
    severity: "high",
    references: [SSRF],
    call: ghRead({ url }),
    expect: "block",
    evasion: "file-url",
  })),
  ...([
    ["branch-output", { path: "README.md", branch: "--output=/tmp/x" }],
    ["ref-upload-pack", { path: "README.md", ref: "--upload-pack=touch /tmp/pwned" }],
    ["revision-leading-space", { path: "README.md", revision: " -c core.sshCommand=touch /tmp/pwned" }],
  ] as const).map(([label, args]): Attack => ({
    id: `option-injection.${label}`,
    title: `Option injection through a ref argument (${label})`,
    severity: "critical",
    references: [OPTION_INJECTION],
    call: ghRead(args),
    expect: "block",
    evasion: "option-injection",
  })),
];

// The same files through methods other than tools/call: a policy that only judged tool calls would miss them.
const methodAttacks: Attack[] = ([
  ["resource-etc-passwd", "file:///etc/passwd"],
  ["resource-ssh-key-encoded", "file://{{home}}/%2essh/id_rsa"],
  ["resource-traversal", "file://{{cwd}}/src/../../../../../../../../etc/shadow"],
] as const).map(([label, uri]): Attack => ({
  id: `method.${label}`,
  title: `Sensitive file through resources/read (${label})`,
  severity: "high",
  references: ["https://modelcontextprotocol.io/specification/2025-06-18/server/resources"],
  call: { server: "filesystem", method: "resources/read", params: { uri } },
  expect: "block",
  evasion: "method",
}));

const control = (id: string, title: string, call: Attack["call"]): Attack => ({
  id: `control.${id}`,
  title,
  severity: "low",
  references: [],
  call,
  expect: "allow",
  evasion: "control",
});

const controls: Attack[] = [
  control("src-file", "Read a source file", fsRead("./src/app.ts")),
  control("docs-file", "Read a doc", fsRead("./docs/readme.md")),
  control("traversal-inside", "'..' that stays inside the allowed dirs", fsRead("./src/../docs/readme.md")),
  control("absolute-inside", "Absolute path inside ./src", fsRead("{{cwd}}/src/app.ts")),
  control("quoted-inside", "Quoted path inside ./src", fsRead('"./src/app.ts"')),
  control("pem-lookalike", "Name that only contains .pem", fsRead("./src/notes.pem.txt")),
  control("ssh-word", "File name that mentions ssh", fsRead("./docs/ssh-setup.md")),
  control("unicode-name", "Non-ASCII file name", fsRead("./docs/café.md")),
  control("read-many", "Read several allowed files", {
    server: "filesystem",
    tool: "read_multiple_files",
    arguments: { paths: ["./src/a.ts", "./docs/b.md"] },
  }),
  control("move-inside", "Move a file within ./src", {
    server: "filesystem",
    tool: "move_file",
    arguments: { source: "./src/a.ts", destination: "./src/b.ts" },
  }),
  control("resource-inside", "Read a doc through resources/read", {
    server: "filesystem",
    method: "resources/read",
    params: { uri: "file://{{cwd}}/docs/readme.md" },
  }),
  control("list-repos", "List repositories", { server: "github", tool: "list_repos", arguments: {} }),
  control("read-branch", "Read a file on a normal branch", ghRead({ path: "README.md", branch: "main" })),
  control(
    "https-url",
    "Read a file by its https URL",
    ghRead({
      url: "https://github.com/acme/app/blob/main/README.md",
    }),
  ),
  control("issue-mentions-secrets", "An issue whose text mentions secrets and URLs", {
    server: "github",
    tool: "create_issue",
    arguments: {
      repo: "acme/app",
      title: "Rotate ~/.ssh/id_rsa",
      body: "The key at ~/.ssh/id_rsa leaked; also block 169.254.169.254 and --output flags.",
    },
  }),
];

/**
 * The evasion pack: path, tool-name and URL attacks expanded through the built-in mutators, plus benign
 * controls that must stay allowed. Written for the example policy's servers (filesystem, github).
 */
export default defineAttackPack({
  apiVersion: 1,
  id: "evasion",
  version: "1.0.0",
  description:
    "Canonicalisation evasions (traversal, prefix siblings, home/URI/percent forms, case, Unicode, trailing " +
    "dots, arrays, nesting, second arguments, tool-name variants, metadata IP encodings, file: URLs, NUL, " +
    "option injection, resources/read) and benign controls",
  attacks: [...pathAttacks, ...toolAttacks, ...urlAttacks, ...methodAttacks, ...controls],
});
