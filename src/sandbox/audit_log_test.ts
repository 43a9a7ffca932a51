import assert from "node:assert/strict";
import { TraceEventV1Schema } from "../trace/mod.ts";
import {
  auditToTraceEvents,
  brokerCheckToTraceEvent,
  type FlagReason,
  flagsGrant,
  parseAuditLog,
} from "./mod.ts";

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
    '{"v":1,"datetime":"2026-11-24T21:08:00Z","permission":"read","value":"/r/x","v\\u0061lue":"/r"}', // skipped
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

const F = (flag: string, value: string): FlagReason => ({ flag, value, ruleId: "r", why: "w" });

Deno.test("flagsGrant() follows Deno's flag semantics: most specific path wins, deny wins ties", () => {
  const flags = [
    F("allow-read", "/r"),
    F("deny-read", "/r/secret"),
    F("allow-read", "/r/secret/ok"),
    F("deny-read", "/t"),
  ];
  assert.equal(flagsGrant(flags, "read", "/r/a.txt"), true);
  assert.equal(flagsGrant(flags, "read", "/r/secret/s.txt"), false);
  assert.equal(flagsGrant(flags, "read", "/r/secret/ok/x"), true);
  assert.equal(flagsGrant(flags, "read", "/r_evil/x"), false);
  assert.equal(flagsGrant(flags, "write", "/r/a.txt"), false);
  assert.equal(flagsGrant([F("allow-read", "/t"), F("deny-read", "/t")], "read", "/t/x"), false);
  assert.equal(flagsGrant([F("allow-all", "*")], "run", null), true);
});

Deno.test("flagsGrant() matches hosts, ports, wildcards and env names like Deno", () => {
  const flags = [
    F("allow-net", "api.x.com:443"),
    F("allow-net", "*.cdn.io"),
    F("deny-net", "bad.cdn.io"),
    F("allow-env", "GZIP_*"),
  ];
  assert.equal(flagsGrant(flags, "net", "api.x.com:443"), true);
  assert.equal(flagsGrant(flags, "net", "https://api.x.com/v1"), true);
  assert.equal(flagsGrant(flags, "net", "api.x.com:80"), false);
  assert.equal(flagsGrant(flags, "net", "a.cdn.io:443"), true);
  assert.equal(flagsGrant(flags, "net", "cdn.io:443"), true, "Deno's *.d also covers d");
  assert.equal(flagsGrant(flags, "net", "bad.cdn.io:443"), false);
  assert.equal(flagsGrant(flags, "env", "GZIP_MAX_FETCH_SIZE"), true);
  assert.equal(flagsGrant(flags, "env", "HOME"), false);
  assert.equal(flagsGrant(flags, "sys", "hostname"), false);
});

Deno.test("auditToTraceEvents() marks what the contained server was refused", () => {
  const entries = parseAuditLog(
    '{"v":1,"datetime":"t","permission":"read","value":"/r/a"}\n{"v":1,"datetime":"t","permission":"read","value":"/s/x"}\n',
  );
  const ev = auditToTraceEvents(entries, base, [F("allow-read", "/r")]);
  assert.deepEqual(ev.map((e) => [e.value, e.granted]), [["/r/a", true], ["/s/x", false]]);
  assert.equal(auditToTraceEvents(entries, base)[0]?.granted, undefined, "unknown without the plan's flags");
});
