import assert from "node:assert/strict";
import { TraceEventV1Schema } from "../trace/mod.ts";
import { auditToTraceEvents, brokerCheckToTraceEvent, parseAuditLog } from "./mod.ts";

const base = { sessionId: "s1", server: "fs", mode: "record" as const };

Deno.test("auditToTraceEvents() folds audit lines into valid containment events with counts", () => {
  const text = [
    '{"v":1,"datetime":"2026-11-24T21:07:58Z","permission":"env","value":"__MINIMATCH_TESTING_PLATFORM__"}',
    '{"v":1,"datetime":"2026-11-24T21:07:58Z","permission":"read","value":"/r"}',
    '{"v":1,"datetime":"2026-11-24T21:07:58Z","permission":"read","value":"/r"}',
    '{"v":1,"datetime":"2026-11-24T21:07:59Z","permission":"read","value":"/r/a.txt"}',
    '{"v":1,"datetime":"2026-11-24T21:07:59Z","permission":"write","value":"/r/a.txt"}',
    '{"v":1,"datetime":"2026-11-24T21:08:00Z","permission":"write","value":"/r/out.txt"}',
    '{"v":1,"datetime":"2026-11-24T21:08:00Z","permission":"net","value":"api.example.com:443"}',
    '{"v":1,"datetime":"2026-11-24T21:08:00Z","permission":"re', // truncated by a kill
  ].join("\n");
  const events = auditToTraceEvents(parseAuditLog(text), base);
  for (const e of events) TraceEventV1Schema.parse(e);
  const short = events.map((e) => [e.permission, e.value, e.count, e.maybeWrite ?? false]);
  assert.deepEqual(short, [
    ["env", "__MINIMATCH_TESTING_PLATFORM__", 1, false],
    ["read", "/r", 2, false],
    ["read", "/r/a.txt", 1, true],
    ["write", "/r/out.txt", 1, false],
    ["net", "api.example.com:443", 1, false],
  ]);
  assert.ok(events.every((e) => e.kind === "containment" && e.source === "audit"));
});

Deno.test("brokerCheckToTraceEvent() keeps the decision and the resolved path", () => {
  const e = brokerCheckToTraceEvent({
    datetime: "2026-11-24T21:07:58Z",
    pid: 1,
    id: 2,
    permission: "read",
    value: "/r/allowed/link",
    resolved: "/r/secret/s.txt",
    decision: { verdict: "deny", ruleIds: ["sandbox/read"], reason: "outside", errors: [] },
  }, { ...base, mode: "enforce" });
  const parsed = TraceEventV1Schema.parse(e);
  assert.equal(parsed.resolved, "/r/secret/s.txt");
  assert.equal(parsed.decision?.verdict, "deny");
  assert.equal(parsed.source, "broker");
});
