import assert from "node:assert/strict";
import { parse } from "yaml";
import { compilePolicy, parsePolicy } from "../policy/mod.ts";
import { SessionRulesSchema } from "../policy/session_rules_schema.ts";
import { MemoryTraceSink } from "../trace/mod.ts";
import { type ProxyMode, ProxySession } from "./proxy_session.ts";

// A v1 policy (decide() judges each call alone) and the session rules passed beside it.
const POLICY = `
version: 1
servers:
  github:
    allowed_tools: [get_issue, list_commits, push_files, create_issue]
`;
const RULES = SessionRulesSchema.parse(parse(`
- id: untrusted-then-send
  after: { untrusted: true }
  then: { classes: [send], other_scope: [write] }
`));

type Msg = Record<string, unknown>;

function harness(mode: ProxyMode = "enforce", rules = RULES) {
  const { policy } = parsePolicy(POLICY, { file: "p.yaml" });
  const compiled = compilePolicy(policy, { baseDir: "/proj", home: "/home/me", realpath: () => undefined });
  const toClient: Msg[] = [];
  const toServer: Msg[] = [];
  const trace = new MemoryTraceSink();
  const s = new ProxySession({
    mode,
    server: "github",
    policy: compiled,
    cwd: "/proj",
    home: "/home/me",
    sessionId: "s1",
    trace,
    redact: (v) => ({ value: v, fired: [] }),
    toClient: (l) => void toClient.push(JSON.parse(typeof l === "string" ? l : new TextDecoder().decode(l))),
    toServer: (l) => void toServer.push(JSON.parse(l)),
    diag: () => {},
    realpath: () => undefined,
    sessionRules: rules,
  });
  const enc = new TextEncoder();
  const client = (m: unknown) => s.onClientFrame({ kind: "line", bytes: enc.encode(JSON.stringify(m)) });
  const server = (m: unknown) => s.onServerFrame({ kind: "line", bytes: enc.encode(JSON.stringify(m)) });
  const answer = (id: number) =>
    server({ jsonrpc: "2.0", id, result: { content: [{ type: "text", text: "x" }] } });
  const events = () => {
    s.flushTrace({ results: true });
    return trace.events;
  };
  return { toClient, toServer, client, answer, events };
}

const call = (id: number, name: string, args: Record<string, unknown>) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name, arguments: args },
});
const repo = (name: string) => ({ owner: "acme", repo: name });
const blockedText = (m: Msg | undefined) =>
  ((m?.result as { content?: { text?: string }[] } | undefined)?.content?.[0]?.text) ?? "";

const tick = () => new Promise((r) => setTimeout(r, 0));
const reply = (msgs: Msg[], id: number) => msgs.find((m) => m.id === id);

Deno.test("ProxySession: a session rule arms when the untrusted answer comes back, not when the call leaves", async () => {
  const h = harness();
  h.client(call(1, "get_issue", { ...repo("app"), issue_number: 1 }));
  // Sent before the issue's answer: the agent cannot have read it yet.
  h.client(call(2, "create_issue", { ...repo("app"), title: "t" }));
  assert.equal(h.toServer.length, 2);
  h.answer(1);
  h.answer(2);
  h.client(call(3, "create_issue", { ...repo("app"), title: "t" }));
  assert.equal(h.toServer.length, 2, "the send after the answer is held");
  await tick(); // no approval channel: the refusal is answered once the approval settles
  assert.match(
    blockedText(reply(h.toClient, 3)),
    /github\.get_issue returned untrusted content earlier in this session/,
  );
  // Writing to the issue's repository stays allowed; another repository is held.
  h.client(call(4, "push_files", { ...repo("app"), branch: "b", files: [], message: "m" }));
  assert.equal(h.toServer.length, 3);
  h.client(call(5, "push_files", { ...repo("infra"), branch: "b", files: [], message: "m" }));
  assert.equal(h.toServer.length, 3);
});

Deno.test("ProxySession: a denied untrusted read arms nothing; without rules nothing changes", () => {
  const h = harness();
  h.client(call(1, "get_file_contents", { ...repo("app"), path: "README.md" })); // not in allowed_tools
  assert.equal(h.toServer.length, 0);
  h.client(call(2, "create_issue", { ...repo("app"), title: "t" }));
  assert.equal(h.toServer.length, 1);
  const plain = harness("enforce", []);
  plain.client(call(1, "get_issue", { ...repo("app"), issue_number: 1 }));
  plain.answer(1);
  plain.client(call(2, "create_issue", { ...repo("app"), title: "t" }));
  assert.equal(plain.toServer.length, 2);
});

Deno.test("ProxySession: record mode forwards everything and still judges with the session", () => {
  const h = harness("record");
  h.client(call(1, "get_issue", { ...repo("app"), issue_number: 1 }));
  h.answer(1);
  h.client(call(2, "create_issue", { ...repo("app"), title: "t" }));
  assert.equal(h.toServer.length, 2);
  const traced = h.events().filter((e) => e.kind === "call" && e.tool === "create_issue");
  assert.equal(traced[0]?.decision?.verdict, "approve");
  assert.equal(traced[0]?.decision?.ruleIds[0], "session_rules[0]/untrusted-then-send");
});
