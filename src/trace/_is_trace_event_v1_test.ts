import assert from "node:assert/strict";
import fc from "fast-check";
import { fileURLToPath } from "node:url";
import { TraceEventV1Schema } from "./schema.ts";
import { isTraceEventV1 } from "./_is_trace_event_v1.ts";

const FIXTURE = fileURLToPath(new URL("../../tests/fixtures/traces/valid/v1_session.jsonl", import.meta.url));

Deno.test("isTraceEventV1() accepts every event of a real-shaped trace", () => {
  const lines = Deno.readTextFileSync(FIXTURE).split("\n").filter((l) => l.trim() !== "");
  for (const l of lines) assert.equal(isTraceEventV1(JSON.parse(l)), true, l);
});

Deno.test("isTraceEventV1() accepts nothing the schema rejects (random near-valid events)", () => {
  const anyJson = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double(),
    fc.string(),
    fc.array(fc.string(), { maxLength: 2 }),
    fc.dictionary(fc.string({ maxLength: 3 }), fc.string(), { maxKeys: 2 }),
  );
  const pick = <T>(good: fc.Arbitrary<T>) =>
    fc.oneof({ weight: 3, arbitrary: good }, { weight: 1, arbitrary: anyJson });
  const event = fc.record({
    v: pick(fc.constant(1)),
    kind: pick(fc.constantFrom("call", "tools", "containment", "bogus")),
    time: pick(fc.string()),
    sessionId: pick(fc.string()),
    server: pick(fc.string()),
    mode: pick(fc.constantFrom("record", "enforce", "x")),
    direction: pick(fc.constantFrom("client", "server", undefined)),
    id: pick(fc.oneof(fc.integer(), fc.string(), fc.constant(null))),
    paths: pick(fc.array(fc.string(), { maxLength: 2 })),
    latencyMs: pick(fc.oneof(fc.double(), fc.constant(Infinity))),
    decision: pick(fc.record({
      verdict: pick(fc.constantFrom("allow", "deny", "approve", "maybe")),
      ruleIds: pick(fc.array(fc.string(), { maxLength: 2 })),
      reason: pick(fc.string()),
    })),
    approval: pick(
      fc.record({ channel: pick(fc.constantFrom("tty", "none", "fax")), granted: pick(fc.boolean()) }),
    ),
    result: pick(
      fc.record({
        outcome: pick(fc.constantFrom("ok", "error", "none", "?")),
        isError: pick(fc.boolean()),
        contentTypes: pick(fc.array(fc.string(), { maxLength: 2 })),
        sha256: pick(fc.string()),
      }),
    ),
    tools: pick(fc.array(fc.record({ name: pick(fc.string()) }), { maxLength: 2 })),
    redactions: pick(
      fc.array(fc.record({ ruleId: pick(fc.string()), pointer: pick(fc.string()) }), { maxLength: 2 }),
    ),
  }, { requiredKeys: [] });
  let accepted = 0;
  fc.assert(
    fc.property(event, (e) => {
      if (isTraceEventV1(e)) {
        accepted++;
        assert.ok(TraceEventV1Schema.safeParse(e).success, JSON.stringify(e));
      }
    }),
    // Fixed seed: about 1 in 100 generated events is valid, so an unlucky random run could produce none.
    { numRuns: 3000, seed: 20261124 },
  );
  assert.ok(accepted > 0, "the generator must produce some valid events");
});
