import assert from "node:assert/strict";
import { describeContainmentExit, detectContainmentDenial, parseContainmentDenial } from "./mod.ts";

Deno.test("detectContainmentDenial() finds Deno's denial in a tool result", () => {
  const t = 'Error: Requires read access to "/r/secret/s.txt", run again with the --allow-read flag';
  assert.equal(detectContainmentDenial(t), 'Requires read access to "/r/secret/s.txt"');
  assert.deepEqual(parseContainmentDenial(t), { permission: "read", value: "/r/secret/s.txt" });
  assert.equal(
    detectContainmentDenial('Fatal error in main(): NotCapable: Requires env access to "MEMORY_FILE_PATH"'),
    'Requires env access to "MEMORY_FILE_PATH"',
  );
  assert.deepEqual(parseContainmentDenial("Requires net access to example.com:443, run again"), {
    permission: "net",
    value: "example.com:443",
  });
});

Deno.test("detectContainmentDenial() finds the broker's reason and ignores ordinary errors", () => {
  const t =
    'NotCapable: AgentPerms containment: Read of "/etc/passwd" is outside the sandbox of "fs" [sandbox/read]';
  assert.equal(
    detectContainmentDenial(t),
    'AgentPerms containment: Read of "/etc/passwd" is outside the sandbox of "fs" [sandbox/read]',
  );
  assert.equal(detectContainmentDenial("Access denied - path outside allowed directories"), undefined);
  assert.equal(detectContainmentDenial("Requires patience"), undefined);
});

Deno.test("describeContainmentExit() names broker loss (87) and start-up denials, and nothing else", () => {
  assert.match(describeContainmentExit(87) ?? "", /broker is gone/);
  assert.match(
    describeContainmentExit(
      1,
      'Fatal error in main(): NotCapable: Requires env access to "MEMORY_FILE_PATH"',
    ) ?? "",
    /refused it: Requires env access to "MEMORY_FILE_PATH"/,
  );
  assert.equal(describeContainmentExit(0), undefined);
  assert.equal(describeContainmentExit(1, "TypeError: x is undefined"), undefined);
});

Deno.test("detectContainmentDenial() recognises what the OS sandbox shows a server", () => {
  const rows: Array<[string, string | undefined]> = [
    [
      'HTTP Error 403: AgentPerms egress: Network access to "x.test:80" is outside the sandbox',
      "AgentPerms egress: Network access to",
    ],
    [
      "OSError: [Errno 30] Read-only file system: '/home/u/.bashrc'",
      "Read-only file system: '/home/u/.bashrc'",
    ],
    ["connect ENETUNREACH 93.184.216.34:443", "ENETUNREACH 93.184.216.34:443"],
    ["getaddrinfo EAI_AGAIN api.example.com", "EAI_AGAIN api.example.com"],
    ["ENOENT: no such file or directory, open '/w/x'", undefined],
  ];
  for (const [text, want] of rows) {
    const got = detectContainmentDenial(text);
    if (want === undefined) assert.equal(got, undefined, text);
    else assert.ok(got?.startsWith(want), `${text} -> ${got}`);
  }
});
