/**
 * Example redactor plugin: ACME Corp's internal token formats.
 *
 * Try it:
 *   agentperms redact --plugin examples/redactors/acme_tokens.ts --list
 *   echo 'deploy with acme_live_0123456789abcdef0123' | agentperms redact --plugin examples/redactors/acme_tokens.ts
 *
 * The samples are checked every time the plugin loads: each `redact` sample must change and each `keep`
 * sample must stay the same, so a pattern that stops matching (or starts matching too much) fails at once.
 * @module
 */
import { defineRedactor } from "../../src/redact/mod.ts";

export default defineRedactor({
  apiVersion: 1,
  id: "acme-tokens",
  version: "1.0.0",
  description: "ACME Corp API tokens and session cookies",
  category: "api_keys", // turned off by `redaction: { api_keys: false }` in a policy
  rules: [
    {
      id: "acme-api-token",
      needles: ["acme_"],
      description: "ACME API tokens: acme_live_ / acme_test_ + 20 or more hex digits",
      // Linear time: a literal prefix behind a one-character lookbehind, then one character class.
      pattern: /(?<![A-Za-z0-9_])acme_(?:live|test)_[0-9a-f]{20,}/g,
      samples: {
        redact: ["deploy with acme_live_0123456789abcdef0123", "ACME_TOKEN=acme_test_ffffffffffffffffffff00"],
        keep: ["acme_live_short", "the acme_live_ prefix", "xacme_live_0123456789abcdef0123"],
      },
    },
    {
      id: "acme-session-cookie",
      needles: ["ACMESESSION="],
      description: "The ACMESESSION cookie value (the cookie name is kept)",
      pattern: /(?<name>(?<![A-Za-z0-9_])ACMESESSION=)[A-Za-z0-9%_-]{16,}/g,
      replacement: "$<name>‹redacted›",
      samples: {
        redact: ["Cookie: theme=dark; ACMESESSION=Zm9vYmFyYmF6cXV4MTIzNDU2"],
        keep: ["ACMESESSION=short", "clear the ACMESESSION cookie"],
      },
    },
  ],
  samples: {
    redact: ['{"headers":{"X-Acme-Token":"acme_live_0123456789abcdef0123"}}'],
    keep: ["ACME Corp, 1 Road Runner Way"],
  },
});
