/**
 * Redaction cost on the proxy's hot path. Each group has a baseline: `JSON.stringify` of the same value,
 * measured in the same run, so figures compare across machines.
 */
import { BUILTIN_REDACTORS, compileRedactor, REDACTED, redactValue } from "./mod.ts";

const redactor = compileRedactor(BUILTIN_REDACTORS);

// A typical tools/call arguments object: a few paths, a short content body, one secret.
const CALL_ARGS = {
  path: "/home/alice/projects/app/src/main.ts",
  content: "export const config = {\n  region: 'eu-west-1',\n  retries: 3,\n};\n// see docs/setup.md\n",
  options: { encoding: "utf8", createDirs: true, mode: 420 },
  files: ["./src/a.ts", "./src/b.ts", "./README.md"],
  env: { NODE_ENV: "production", API_TOKEN: "ghp_abcdefghijklmnopqrstuvwxyz0123456789" },
  message: "Update config; ping bob@example.com when done",
};
const MB_TOKEN = "a".repeat(1_000_000);
const MB_TEXT = ("2026-01-01 GET /api/items?id=42 200 12ms user=alice ok\n").repeat(18_000);

Deno.bench({
  name: "JSON.stringify(tools/call arguments)",
  group: "call-args",
  baseline: true,
  fn: () => void JSON.stringify(CALL_ARGS),
});
Deno.bench({
  name: "redactValue(tools/call arguments), all built-in rules",
  group: "call-args",
  fn: () => void redactValue(CALL_ARGS, redactor),
});

Deno.bench({
  name: "JSON.stringify(1 MB unbroken token)",
  group: "1mb-token",
  baseline: true,
  fn: () => void JSON.stringify(MB_TOKEN),
});
Deno.bench({
  name: "redactValue(1 MB unbroken token), all built-in rules",
  group: "1mb-token",
  fn: () => void redactValue(MB_TOKEN, redactor),
});

Deno.bench({
  name: "JSON.stringify(1 MB log text)",
  group: "1mb-text",
  baseline: true,
  fn: () => void JSON.stringify(MB_TEXT),
});
Deno.bench({
  name: "redactValue(1 MB log text), all built-in rules",
  group: "1mb-text",
  fn: () => void redactValue(MB_TEXT, redactor),
});

// Per rule on the hostile inputs of plugins/mod_test.ts (which asserts < 500 ms each): the real figures.
// One row per rule; each iteration runs the rule over all four 1 MB inputs.
const HOSTILE = [MB_TOKEN, "a@".repeat(500_000), "-".repeat(1_000_000), "a-".repeat(500_000)];
for (const rule of redactor.rules) {
  Deno.bench({
    name: `${rule.id} on 4 hostile 1 MB tokens`,
    group: "hostile-per-rule",
    n: 10,
    warmup: 2,
    fn: () => {
      for (const input of HOSTILE) input.replace(rule.pattern, rule.replacement ?? REDACTED);
    },
  });
}

// Why the rules are gated: an ungated email pattern of the kind the original tool used rescans the rest of
// the input from every position (quadratic). 16 KB only, so the bench stays short; 1 MB would take minutes.
const NAIVE_EMAIL_REGEXP = /[\w.+-]+@[\w-]+\.[\w.-]+/g;
const EMAIL_RULE = redactor.rules.find((r) => r.id === "emails/email")!;
const KB16 = "a".repeat(16_384);
Deno.bench({
  name: "emails/email on a 16 KB unbroken token",
  group: "email-16kb",
  baseline: true,
  n: 5,
  warmup: 1,
  fn: () => void KB16.replace(EMAIL_RULE.pattern, REDACTED),
});
Deno.bench({
  name: "naive ungated email pattern on the same 16 KB token",
  group: "email-16kb",
  n: 5,
  warmup: 1,
  fn: () => void KB16.replace(NAIVE_EMAIL_REGEXP, REDACTED),
});
