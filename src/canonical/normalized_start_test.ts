import assert from "node:assert/strict";
import fc from "fast-check";
import { looksLikePath } from "./canonicalize_call.ts";
import { looksLikeUrl, normalizedStart } from "./resolve_url.ts";

// What the tests were before they normalized only the start: the whole string, normalized.
const PATH_START_REGEXP =
  /^(?:~(?:$|[\\/])|\/|\.{1,2}(?:$|[\\/])|\$HOME\b|\$\{HOME\}|%USERPROFILE%|%HOME%|[A-Za-z]:[\\/]|\\\\|file:)/i;
const wholePath = (s: string) => {
  const t = s.trim().replace(/^["'`]/, "").normalize("NFKC");
  return t.length > 0 && !t.includes("\n") && PATH_START_REGEXP.test(t);
};
// A URL parser's reading first (C0 controls and spaces off both ends, tabs and newlines out), then NFKC.
const wholeUrl = (s: string) => {
  // deno-lint-ignore no-control-regex -- the C0 range is the point: a URL parser drops it at both ends
  const t = s.trim().replace(/^[\u0000-\u0020]+/, "").replace(/[\u0000-\u0020]+$/, "").replace(
    /[\t\n\r]/g,
    "",
  )
    .normalize("NFKC");
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(t) || /^(?:https?|wss?|ftp|file):/i.test(t);
};

// Starts that matter (ASCII and full-width forms, combining marks, spaces) followed by long filler.
const start = fc.constantFrom(
  "~/",
  "~",
  "/",
  "./",
  "..",
  "$HOME/x",
  "%USERPROFILE%",
  "C:\\",
  "\\\\srv",
  "file:///etc",
  "https://h",
  "～／",
  "／etc",
  "ｆｉｌｅ:",
  "ｈｔｔｐｓ://h",
  "ｆｉｌｅ：",
  "ht\ttps://h",
  "\u0001file:",
  "fi\nle\t：//",
  "https:h",
  "\u0303",
  "e\u0301",
  "  ",
  "\n",
  '"~/',
  "x",
  "a".repeat(4100),
  "ｈ".repeat(4100),
);
const filler = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom(
    " ".repeat(5000),
    "a".repeat(5000),
    "\u0301".repeat(5000),
    "ﷺ".repeat(3000),
    "\n",
    "://evil.example/x",
    "／／evil.example",
  ),
);

Deno.test("looksLikePath() and looksLikeUrl() agree with normalizing the whole string, also past 4,096 characters", () => {
  fc.assert(
    fc.property(start, filler, fc.string({ maxLength: 5 }), (a, b, c) => {
      const s = a + b + c;
      assert.equal(looksLikePath(s), wholePath(s), JSON.stringify(s.slice(0, 40)));
      assert.equal(looksLikeUrl(s), wholeUrl(s), JSON.stringify(s.slice(0, 40)));
    }),
    { numRuns: 500 },
  );
});

Deno.test("looksLikeUrl() still sees a scheme longer than the 4,096 characters it normalizes first", () => {
  assert.equal(looksLikeUrl("a".repeat(4100) + "://evil.example/x"), true);
  assert.equal(looksLikeUrl("a".repeat(4100) + " ://evil.example/x"), false);
  // The "://" across the 4,096th character (found by the property test below; missed before).
  for (const n of [4093, 4094, 4095]) assert.equal(looksLikeUrl("a".repeat(n) + "://evil.example/x"), true);
  // Astral look-alike letters (two UTF-16 units, one character after NFKC) and a pair cut at 4,096: review.
  const bold = "\u{1D41A}"; // MATHEMATICAL BOLD SMALL A
  for (
    const s of [
      "a".repeat(4095) + bold + "://evil.example/",
      bold + "a".repeat(4093) + "://evil.example/",
      bold.repeat(2047) + "://evil.example/",
      "a".repeat(100) + bold.repeat(2047) + "://evil.example/",
    ]
  ) assert.equal(looksLikeUrl(s), true, s.slice(-30));
});

Deno.test("looksLikeUrl() past a long ASCII scheme run agrees with normalizing the whole string", () => {
  // The run is skipped up to its last character; what follows may be look-alikes, marks or the "://".
  const tail = fc.array(
    fc.constantFrom(
      "a",
      "Z",
      "9",
      "+",
      ".",
      "-",
      "ａ",
      "\u{1D41A}",
      "\u0301",
      "\u0338",
      ":",
      "：",
      "/",
      "／",
      " ",
      "x://",
    ),
    { maxLength: 12 },
  ).map((a) => a.join(""));
  fc.assert(
    fc.property(
      fc.integer({ min: 4090, max: 4200 }),
      tail,
      fc.constantFrom("", "h", "ｈ".repeat(4100), "\u{1D41A}".repeat(2047) + "://x"),
      (n, t, u) => {
        const s = "a".repeat(n) + t + u;
        assert.equal(looksLikeUrl(s), wholeUrl(s), JSON.stringify(t));
      },
    ),
    { numRuns: 400 },
  );
});

Deno.test("looksLikeUrl() on a 10 MB run of scheme characters", () => {
  assert.equal(looksLikeUrl("x".repeat(10_000_000)), false);
  assert.equal(looksLikeUrl("x".repeat(10_000_000) + "://h"), true);
  assert.equal(looksLikeUrl("x".repeat(10_000_000) + "\u0301://h"), false);
});

Deno.test("normalizedStart() normalizes a 10 MB string's start only", () => {
  const s = "／etc/passwd" + "x".repeat(10_000_000);
  const t = normalizedStart(s);
  assert.equal(t.length, 4096);
  assert.ok(t.startsWith("/etc/passwd"));
  assert.equal(looksLikePath(s), true);
});
