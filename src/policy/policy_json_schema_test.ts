import assert from "node:assert/strict";
import { policyJsonSchema } from "./policy_json_schema.ts";

const FILE = new URL("../../docs/policy.schema.json", import.meta.url);

Deno.test("docs/policy.schema.json is the schema policyJsonSchema() generates (run with -- --update to rewrite)", () => {
  const want = `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;
  if (Deno.args.includes("--update")) Deno.writeTextFileSync(FILE, want);
  let have = "";
  try {
    have = Deno.readTextFileSync(FILE);
  } catch { /* missing: stale */ }
  assert.ok(
    have === want,
    "docs/policy.schema.json is stale: run `deno test -A src/policy/policy_json_schema_test.ts -- --update`",
  );
});

Deno.test("policyJsonSchema() describes both versions, v2's keys and its recursive argument conditions", () => {
  const s = JSON.stringify(policyJsonSchema());
  for (
    const k of ["allowed_tools", "arguments", "scopes", "recipient_domains", "session_rules", "max_length"]
  ) {
    assert.ok(s.includes(`"${k}"`), k);
  }
  assert.ok(s.includes('"const":1') && s.includes('"const":2'));
  assert.ok(s.includes('"$ref"'), "any/all refer back to the condition");
  assert.ok(s.includes("RE2"));
});
