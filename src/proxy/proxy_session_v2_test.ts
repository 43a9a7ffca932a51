import assert from "node:assert/strict";
import { compilePolicy, parsePolicy } from "../policy/mod.ts";
import { MemoryTraceSink } from "../trace/mod.ts";
import { ProxySession } from "./proxy_session.ts";

type Msg = Record<string, unknown>;

const POLICY = `
version: 2
servers:
  github:
    allowed_tools: [class:read, create_issue]
    denied_tools: [class:delete]
    scopes: { repos: ["octo-org/*"] }
    tools:
      create_issue:
        arguments: { title: { required: true } }
`;

function harness() {
  const { policy } = parsePolicy(POLICY, { file: "p.yaml" });
  const compiled = compilePolicy(policy, { baseDir: "/proj", home: "/home/me", realpath: () => undefined });
  const toClient: Msg[] = [];
  const toServer: Msg[] = [];
  const s = new ProxySession({
    mode: "enforce",
    server: "github",
    policy: compiled,
    cwd: "/proj",
    home: "/home/me",
    sessionId: "s1",
    trace: new MemoryTraceSink(),
    redact: (v) => ({ value: v, fired: [] }),
    toClient: (l) => void toClient.push(JSON.parse(typeof l === "string" ? l : new TextDecoder().decode(l))),
    toServer: (l) => void toServer.push(JSON.parse(l)),
    diag: () => {},
    realpath: () => undefined,
  });
  const enc = new TextEncoder();
  const frame = (m: unknown) => ({ kind: "line" as const, bytes: enc.encode(JSON.stringify(m)) });
  return {
    toClient,
    toServer,
    client: (m: unknown) => s.onClientFrame(frame(m)),
    server: (m: unknown) => s.onServerFrame(frame(m)),
  };
}

const call = (id: number, name: string, args: unknown) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name, arguments: args },
});

Deno.test("proxy, format 2: tools/list hides a tool by its class, never by rules about its arguments", () => {
  const h = harness();
  h.client({ jsonrpc: "2.0", id: 1, method: "tools/list" });
  h.server({
    jsonrpc: "2.0",
    id: 1,
    result: {
      tools: [
        { name: "get_issue", inputSchema: { type: "object" } },
        // create_issue has a required argument and a repository scope: an empty call would fail both.
        { name: "create_issue", inputSchema: { type: "object" } },
        { name: "delete_repository", inputSchema: { type: "object" } },
        // A read tool that says it destroys: annotations only tighten, so it is hidden.
        { name: "list_things", inputSchema: { type: "object" }, annotations: { destructiveHint: true } },
      ],
    },
  });
  const listed = (h.toClient.at(-1)!.result as { tools: { name: string }[] }).tools.map((t) => t.name);
  assert.deepEqual(listed, ["get_issue", "create_issue"]);
});

Deno.test("proxy, format 2: a call is judged on its arguments and the annotations tools/list gave", () => {
  const h = harness();
  h.client({ jsonrpc: "2.0", id: 1, method: "tools/list" });
  h.server({
    jsonrpc: "2.0",
    id: 1,
    result: {
      tools: [{ name: "list_commits", annotations: { destructiveHint: true } }, { name: "get_issue" }],
    },
  });
  const sent = () => h.toServer.filter((m) => m.method === "tools/call").map((m) => m.id);
  h.client(call(2, "get_issue", { owner: "octo-org", repo: "app", issue_number: 1 }));
  h.client(call(3, "get_issue", { owner: "evil-org", repo: "app", issue_number: 1 }));
  h.client(call(4, "create_issue", { owner: "octo-org", repo: "app" }));
  h.client(call(5, "list_commits", { owner: "octo-org", repo: "app" }));
  assert.deepEqual(sent(), [2]);
  const denied = (id: number) => JSON.stringify(h.toClient.find((m) => m.id === id));
  assert.match(denied(3), /servers\.github\.scopes\.repos/);
  assert.match(denied(4), /servers\.github\.tools\.create_issue\.arguments\.title/);
  assert.match(denied(5), /servers\.github\.denied_tools\[0\]/);
});
