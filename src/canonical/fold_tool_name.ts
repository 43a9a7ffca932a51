// Latin look-alikes from Cyrillic, Greek and other scripts that NFKC does not fold.
const CONFUSABLES: Record<string, string> = {
  "а": "a",
  "в": "b",
  "е": "e",
  "ё": "e",
  "к": "k",
  "м": "m",
  "н": "h",
  "о": "o",
  "р": "p",
  "с": "c",
  "т": "t",
  "у": "y",
  "х": "x",
  "ѕ": "s",
  "і": "i",
  "ї": "i",
  "ј": "j",
  "ԁ": "d",
  "ԛ": "q",
  "ԝ": "w",
  "ɡ": "g",
  "ⅼ": "l",
  "ı": "i",
  "ο": "o",
  "α": "a",
  "ε": "e",
  "ι": "i",
  "κ": "k",
  "ν": "v",
  "ρ": "p",
  "τ": "t",
  "υ": "u",
  "χ": "x",
  "ϲ": "c",
  "ѡ": "w",
  "һ": "h",
  "ո": "n",
  "ս": "u",
  "ց": "g",
  "օ": "o",
  "ᴀ": "a",
  "ʀ": "r",
  "ꜱ": "s",
  "ɪ": "i",
};
const INVISIBLE_REGEXP =
  /[\s\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff]/g;
const SEPARATOR_REGEXP = /[-.\s]/g;

/**
 * Folds a tool name so that case, whitespace, invisible characters, Unicode confusables, `-`/`_` spelling and
 * an `mcp__server__tool` prefix all map to one key. Used to catch variants of denied and approval-listed
 * tools; allowlists still match names exactly.
 *
 * @param name a tool name
 * @returns the folded key
 */
export function foldToolName(name: string): string {
  const hit = CACHE.get(name);
  if (hit !== undefined) return hit;
  const folded = ASCII_NAME_REGEXP.test(name) ? finish(name.toLowerCase()) : finish(foldUnicode(name));
  if (CACHE.size >= CACHE_MAX) CACHE.clear();
  CACHE.set(name, folded);
  return folded;
}

// foldToolName is pure, so memoizing it is safe; bounded so hostile names cannot grow memory.
const CACHE = new Map<string, string>();
const CACHE_MAX = 4096;
const ASCII_NAME_REGEXP = /^[A-Za-z0-9_.-]*$/;

function foldUnicode(name: string): string {
  const s = name.normalize("NFKC").replace(INVISIBLE_REGEXP, "").toLowerCase();
  return Array.from(s, (c) => CONFUSABLES[c] ?? c).join("").normalize("NFKC");
}

function finish(s: string): string {
  if (s.startsWith("mcp__")) {
    const parts = s.split("__");
    if (parts.length >= 3) s = parts.slice(2).join("__");
  }
  return s.replace(SEPARATOR_REGEXP, "_");
}

/** SEP-986 tool name charset: 1–128 of `[A-Za-z0-9_.-]`. */
export const TOOL_NAME_REGEXP = /^[A-Za-z0-9_.-]{1,128}$/;
