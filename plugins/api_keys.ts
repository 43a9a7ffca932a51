import type { RedactorDescriptor } from "../src/redact/define_redactor.ts";

// Every pattern starts with a literal prefix behind a one-character lookbehind, so a match can only begin
// at the start of a token, and each quantifier is a single character class with nothing after it that can
// fail and force a rescan: linear time on any input (see redact_test.ts and redact_bench.ts).

/** Vendor token formats: recognisable by their prefix, so they are redacted wherever they appear. */
const apiKeys: RedactorDescriptor = {
  apiVersion: 1,
  id: "api-keys",
  version: "1.0.0",
  description: "API keys and tokens with a recognisable prefix (OpenAI, Anthropic, GitHub, GitLab, AWS, …)",
  category: "api_keys",
  rules: [
    {
      id: "anthropic-api-key",
      needles: ["sk-ant-"],
      description: "Anthropic keys: sk-ant-…",
      pattern: /(?:(?<![A-Za-z0-9_-])|(?<=\\[nrt]))sk-ant-[A-Za-z0-9_-]{20,}/g,
      samples: {
        redact: ["ANTHROPIC_API_KEY=sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz012345-_abc"],
        keep: ["sk-ant-short", "task-ant-AbCdEfGhIjKlMnOpQrStUvWxYz"],
      },
    },
    {
      id: "openai-api-key",
      needles: ["sk-"],
      description: "OpenAI keys: sk-…, sk-proj-…, sk-svcacct-…, sk-admin-…",
      pattern: /(?:(?<![A-Za-z0-9_-])|(?<=\\[nrt]))sk-[A-Za-z0-9_-]{20,}/g,
      samples: {
        redact: [
          "sk-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKL",
          "key: sk-proj-Ab12_Cd34-Ef56Gh78Ij90Kl12Mn34Op56",
          "sk-svcacct-AAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ],
        keep: ["sk-learn", "risk-assessment-for-the-quarterly-report", "sk-short-one"],
      },
    },
    {
      id: "github-token",
      needles: ["ghp_", "gho_", "ghs_", "ghu_", "ghr_", "github_pat_"],
      description: "GitHub tokens: ghp_, gho_, ghs_, ghu_, ghr_ and github_pat_",
      pattern:
        /(?:(?<![A-Za-z0-9_])|(?<=\\[nrt]))(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})/g,
      samples: {
        redact: [
          "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
          "token gho_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
          "ghs_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
          "ghu_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
          "ghr_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
          "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQ",
        ],
        keep: ["ghp_short", "see https://github.com/settings/tokens", "high_priority_queue"],
      },
    },
    {
      id: "gitlab-token",
      needles: ["glpat-", "gldt-", "glrt-", "glptt-", "glft-", "glcbt-", "glsoat-", "gloas-"],
      description: "GitLab tokens: glpat-, gldt-, glrt-, glptt-, glft-, glsoat-",
      pattern: /(?:(?<![A-Za-z0-9_-])|(?<=\\[nrt]))gl(?:pat|dt|rt|ptt|ft|cbt|soat|oas)-[A-Za-z0-9_-]{20,}/g,
      samples: {
        redact: ["glpat-xxxxxxxxxxxxxxxxxxxx", "GITLAB_TOKEN=glpat-AbCdEfGh12345678IjKl"],
        keep: ["glpat-short", "Glpat is a format"],
      },
    },
    {
      id: "aws-access-key",
      needles: ["AKIA", "ASIA", "ABIA", "ACCA"],
      description: "AWS access key ids: AKIA…, ASIA… (20 characters)",
      pattern: /(?:(?<![A-Za-z0-9])|(?<=\\[nrt]))(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])/g,
      samples: {
        redact: ["key=AKIAABCDEFGHIJKLMNOP", "ASIAIOSFODNN7EXAMPLE"],
        keep: ["AKIA-not-a-key", "AKIAABCDEFGHIJKLMNOPQRS", "XAKIAABCDEFGHIJKLMNOP"],
      },
    },
    {
      id: "google-api-key",
      needles: ["AIza"],
      description: "Google API keys: AIza + 35 characters",
      pattern: /(?:(?<![A-Za-z0-9_-])|(?<=\\[nrt]))AIza[0-9A-Za-z_-]{35}/g,
      samples: {
        redact: ["https://maps.googleapis.com/?key=AIzaSyA-abcdefghijklmnopqrstuvwxyz01234"],
        keep: ["AIza-short", "AIzaSy"],
      },
    },
    {
      id: "stripe-key",
      needles: ["k_live_", "k_test_"],
      description: "Stripe secret and restricted keys: sk_live_, rk_live_, sk_test_, rk_test_",
      pattern: /(?:(?<![A-Za-z0-9_])|(?<=\\[nrt]))[sr]k_(?:live|test)_[A-Za-z0-9]{16,}/g,
      samples: {
        redact: ["sk_live_51Habcdefghijklmnopqrstu", "rk_live_abcdefghijklmnop1234"],
        keep: ["pk_live_51Habcdefghijklmnopqrstu", "sk_live_short", "desk_live_abcdefghijklmnop1234"],
      },
    },
    {
      id: "slack-token",
      needles: ["xox", "xapp-"],
      description: "Slack tokens: xoxb-, xoxa-, xoxp-, xoxr-, xoxs-, xoxo-, xapp-",
      pattern: /(?:(?<![A-Za-z0-9_-])|(?<=\\[nrt]))(?:xox[abposr]|xapp)-[A-Za-z0-9-]{10,}/g,
      samples: {
        redact: ["xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "xapp-1-A0123456789-abcdef"],
        keep: ["xoxb-short", "xoxz-1234567890123"],
      },
    },
    {
      id: "slack-webhook",
      needles: ["https://hooks.slack.com/"],
      description: "Slack incoming-webhook URLs",
      pattern: /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9_\/-]{20,}/g,
      samples: {
        redact: ["https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"],
        keep: ["https://hooks.slack.com/", "https://api.slack.com/messaging/webhooks"],
      },
    },
    {
      id: "npm-token",
      needles: ["npm_"],
      description: "npm access tokens: npm_ + 36 characters",
      pattern: /(?:(?<![A-Za-z0-9_])|(?<=\\[nrt]))npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])/g,
      samples: {
        redact: ["//registry.npmjs.org/:_authToken=npm_abcdefghijklmnopqrstuvwxyz0123456789"],
        keep: ["npm_config_cache=/tmp/npm", "npm_package_version"],
      },
    },
    {
      id: "jwt",
      needles: ["eyJ"],
      description: "JSON Web Tokens: eyJ….eyJ….signature",
      pattern:
        /(?:(?<![A-Za-z0-9_-])|(?<=\\[nrt]))eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g,
      samples: {
        redact: [
          "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
          "id_token=eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.",
        ],
        keep: ["eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9", "eyJ.eyJ.x"],
      },
    },
  ],
  samples: {
    redact: ['{"OPENAI_API_KEY":"sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12"}'],
    keep: ["no keys here: sk-, ghp_, AKIA, AIza, xoxb-"],
  },
};
export default apiKeys;
