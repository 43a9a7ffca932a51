import type { RedactorDescriptor } from "../src/redact/define_redactor.ts";
import { REDACTED } from "../src/redact/redacted.ts";

// Linear-time shape: each match starts at a keyword behind a one-character lookbehind; prefixes are bounded
// (`{0,4}` groups of `{1,32}` characters split by a separator), and the value is one greedy run with nothing
// after it that could fail, so no start position is ever rescanned more than a bounded number of times.

// A key such as `password`, `DB_PASSWORD`, `x-api-key`, `aws_secret_access_key`, `client.secret`.
const PREFIX = String.raw`(?:[A-Za-z0-9]{1,32}[_.-]){0,4}`;
const SUFFIX = String.raw`(?:[_-](?:access|id|key|token|secret|value|hash)){0,2}`;
const KEY = PREFIX +
  String
    .raw`(?:pass(?:word|wd|phrase|code)?|secret|token|api[_-]?key|apikey|(?:access|secret|private|signing|encryption|master|license|session)[_-]?key|credentials?|cookie|session[_-]?token)` +
  SUFFIX;
// Words too common in code and prose to trust after ":" (`key: string`, `auth: AuthConfig`,
// `sessionId: number`): only `key=value` counts for them.
const EQ_ONLY_KEY = PREFIX + String.raw`(?:key|auth|sid|session[_-]?id)` + SUFFIX;
// After the opening quote (seen through the lookbehind) a quoted value runs to its closing quote,
// honouring backslash escapes; after an escaped quote (JSON inside a JSON string, read as text) it runs to
// the next escaped quote; an unquoted value stops at whitespace or punctuation. true/false/null are
// settings and string/number… are type annotations, not secrets (`isSecret: false`, `password: string`).
const VALUE = String
  .raw`(?!‹)(?!(?:true|false|null|none|undefined|string|number|boolean|unknown|any|str|int|bytes|object)(?![A-Za-z0-9_]))(?:(?<=\\")(?:[^"\\\r\n‹]|\\[^"\r\n])+|(?<=")(?:[^"\\\r\n‹]|\\.)+|(?<=')[^'\r\n‹]+|[^\s"'‹,;&(){}\[\]<>\\]+)`;

/** Credentials written as assignments, headers, phrases or URL userinfo; the key is kept, the value goes. */
const credentials: RedactorDescriptor = {
  apiVersion: 1,
  id: "credentials",
  version: "1.0.0",
  description: "Passwords, tokens and secrets in assignments, JSON fields, headers, flags and URLs",
  category: "secrets",
  rules: [
    {
      id: "authorization-header",
      needles: ["authorization"],
      description: "Authorization / Proxy-Authorization header values (the scheme is kept)",
      pattern: new RegExp(
        String
          .raw`(?<key>(?:(?<![A-Za-z0-9-])|(?<=\\[nrt]))(?:proxy-)?authorization(?:\\?["'])?\s{0,8}[:=]\s{0,8}(?:\\?["'])?` +
          // A value a token rule already replaced keeps its scheme word instead of losing it as the "value".
          String.raw`(?!(?:bearer|basic|token|digest|bot|apikey|dpop|negotiate|ntlm)\s{1,8}‹)` +
          String.raw`(?:(?:bearer|basic|token|digest|bot|apikey|dpop|negotiate|ntlm)\s{1,8})?)` + VALUE,
        "gi",
      ),
      replacement: `$<key>${REDACTED}`,
      samples: {
        redact: [
          "Authorization: Bearer abc.def.ghi",
          "authorization: Basic dXNlcjpwYXNz",
          '{"Authorization":"token 0123456789abcdef"}',
          "Proxy-Authorization: Negotiate YIIGhg",
        ],
        keep: [
          "Authorization: ‹redacted›",
          "Authorization: Bearer ‹redacted›",
          "the authorization flow is described below",
        ],
      },
    },
    {
      id: "bearer-token",
      needles: ["bearer"],
      description: "Bearer <token> outside an Authorization header",
      pattern: new RegExp(
        String
          .raw`(?<key>(?:(?<![A-Za-z0-9_-])|(?<=\\[nrt]))bearer\s{1,8})(?=[A-Za-z]{0,256}[0-9_~+/=-])(?!‹)[A-Za-z0-9._~+/=-]{8,}`,
        "gi",
      ),
      replacement: `$<key>${REDACTED}`,
      samples: {
        redact: ["curl -H 'X: Bearer abc123def456'", "bearer 9f8e7d6c5b4a"],
        keep: ["the bearer instrument.", "Bearer ‹redacted›", "bearer of bad news"],
      },
    },
    {
      id: "secret-assignment",
      // Every match spells one of these in its key (KEY and EQ_ONLY_KEY above; the pattern is case-insensitive,
      // so is the needle test): text without any of them is never scanned (8 KB of code: ~400 → ~100 µs).
      needles: ["pass", "secret", "token", "key", "credential", "cookie", "auth", "sid", "session"],
      description: 'password=, token: , api_key=, secret= … and JSON fields such as "password": "x"',
      pattern: new RegExp(
        String
          .raw`(?<key>(?:(?<![A-Za-z0-9])|(?<=\\[nrt]))(?:${KEY}(?:\\?["'])?\s{0,8}(?:=>|[:=])|${EQ_ONLY_KEY}=(?![=>]))\s{0,8}(?:\\?["'])?)${VALUE}`,
        "gi",
      ),
      replacement: `$<key>${REDACTED}`,
      field:
        /(?:password|passwd|passphrase|passcode|secrets?|token|api[_-]?key|access[_-]?key|private[_-]?key|secret[_-]?key|credentials?|authorization|cookie|session[_-]?(?:id|token|key))(?:[_-]?(?:id|value|hash))?$/i,
      samples: {
        redact: [
          "password=hunter2",
          "token: abc123",
          "api_key=xyz",
          "API-KEY: xyz",
          "apikey=xyz",
          "secret=s3cr3t",
          "key=0123abcd",
          '{"password": "correct horse battery staple"}',
          '{"token":"x"}',
          "DB_PASSWORD='p@ss word'",
          "export GITHUB_TOKEN=abc",
          "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
          "https://example.com/cb?access_token=abc&state=1",
          '"client_secret" => "abc"',
          '{"password":"a\\"b c"}',
          String.raw`{"content":"{\"token\":\"abc\"}"}`,
        ],
        keep: [
          "max_tokens: 1500",
          "token_count=5",
          "key: string",
          "let key = text.slice(1)",
          "sessionId: string",
          "auth: AuthConfig",
          "password: string",
          "monkey=banana",
          "author: bob",
          "PWD=/home/alice",
          "bypass=true",
          '{"password": ""}',
          "password=‹redacted›",
          "the password policy",
        ],
      },
    },
    {
      id: "compound-secret-assignment",
      // Every match spells one of these in its key (case-sensitive, as the pattern is).
      needles: ["Pass", "Secret", "Token", "Key", "Credential", "PASS", "SECRET", "TOKEN", "APIKEY", "_PWD"],
      description: "Run-together keys: dbPassword=, accessToken: , clientSecret=, PGPASSWORD=, MYSQL_PWD=",
      // Case-sensitive on purpose: the capital letter is what marks "Token" in accessToken as a word, so
      // maxTokens or monkey= do not match. A bounded prefix keeps it linear.
      pattern: new RegExp(
        String
          .raw`(?<key>(?:(?<![A-Za-z0-9])|(?<=\\[nrt]))(?:[a-z][a-z0-9]{0,31}(?:Password|Passwd|Passphrase|Secret|Token|ApiKey|AccessKey|PrivateKey|SecretKey|Credentials?)(?:Value|Hash)?|[A-Z][A-Z0-9]{0,31}(?:PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|APIKEY|_PWD))` +
          String.raw`(?:\\?["'])?\s{0,8}(?:=>|[:=])\s{0,8}(?:\\?["'])?)${VALUE}`,
        "g",
      ),
      replacement: `$<key>${REDACTED}`,
      samples: {
        redact: [
          "dbPassword=hunter2",
          "accessToken: abc123",
          'const clientSecret = "s3cr3t";',
          "PGPASSWORD=hunter2 psql",
          "MYSQL_PWD=hunter2",
          '{"refreshToken":"abc"}',
        ],
        keep: ["maxTokens: 1500", "monkey=banana", "tokenCount=5", "PWD=/home/alice", "isSecret: false"],
      },
    },
    {
      id: "secret-cli-flag",
      needles: ["-"],
      description: "--password VALUE, --token VALUE, --api-key VALUE (space-separated flags)",
      pattern: new RegExp(
        String
          .raw`(?<key>(?:(?<![A-Za-z0-9-])|(?<=\\[nrt]))--?(?:[A-Za-z0-9]{1,32}-){0,3}(?:password|passwd|passphrase|token|secret|api-?key|access-?key)\s{1,4}["']?)(?![-‹])[^\s"'‹]+`,
        "gi",
      ),
      replacement: `$<key>${REDACTED}`,
      samples: {
        redact: ["mysql --password hunter2 db", "gh auth login --with-token abc123", "cli --api-key 'k-123'"],
        keep: ["docker login --password-stdin", "run --token --verbose", "--token-file /tmp/t"],
      },
    },
    {
      id: "password-phrase",
      needles: ["pass"],
      description: '"password is hunter2", "passphrase was …" in prose',
      pattern: new RegExp(
        String
          .raw`(?<key>(?:(?<![A-Za-z0-9])|(?<=\\[nrt]))(?:password|passphrase|passcode|passwd)\s{1,4}(?:is|was)\s{1,4}(?:set to\s{1,4}|now\s{1,4})?["'\x60]?)` +
          String
            .raw`(?!(?:required|incorrect|wrong|invalid|missing|empty|not|too|correct|expired|the|a|an|your|my|his|her|their|our|its|this|that|being|changed|reset|stored|case|also|still|only|in|on|at|for|used|shown|hidden|sent|saved|weak|strong|long|short|valid|same|different)\b)` +
          String.raw`(?!‹)[^\s"'\x60‹,;]+`,
        "gi",
      ),
      replacement: `$<key>${REDACTED}`,
      samples: {
        redact: ["the password is hunter2", "Passphrase was 'open sesame'", "wifi password is now Tr0ub4dor"],
        keep: ["the password is required", "password is too short", "your password is incorrect"],
      },
    },
    {
      id: "url-userinfo",
      needles: ["://"],
      description: "The password in scheme://user:password@host",
      pattern:
        /(?<pre>(?:(?<![A-Za-z0-9+.-])|(?<=\\[nrt]))[A-Za-z][A-Za-z0-9+.-]{0,30}:\/\/[^\s\/:@]{0,128}:)(?!‹)[^\s\/@]{1,128}(?=@)/g,
      replacement: `$<pre>${REDACTED}`,
      samples: {
        redact: [
          "https://alice:s3cret@example.com/x",
          "postgres://app:p%40ss@db.internal:5432/app",
          "redis://:hunter2@cache:6379",
        ],
        keep: [
          "https://example.com:8443/path",
          "ssh://git@github.com/org/repo",
          "https://deploy@localhost/x",
        ],
      },
    },
  ],
  samples: {
    redact: ['{"headers":{"Authorization":"Bearer abc123"},"db":"postgres://u:pw@h/db"}'],
    keep: ["no credentials here"],
  },
};
export default credentials;
