import type { Reader } from "./reader.ts";

const MAILTO_REGEXP = /^[^\s@]+@[^\s@]+$/;
const NAMED_MAILTO_REGEXP = /^[^<>]*<([^<>]+)>$/;

/**
 * True when `from` / `to` holds mail addresses (`a@b.io`, `Ann <a@b.io>`, several split by `,` or `;`), which
 * are not paths. Anything else under those keys is judged as a path, relative ones included (`.ssh/id_rsa`).
 */
function isMailRecipients(s: string): boolean {
  const parts = s.split(/[,;]/).map((p) => p.trim()).filter((p) => p !== "");
  // Nothing a path could use to leave the working directory, display name included ("../x/<a@b.c>"): no
  // separator, no leading ~ $ % or dot.
  return parts.length > 0 && parts.every((p) =>
    !/[\\/]/.test(p) && !/^[~$%.]/.test(p) &&
    MAILTO_REGEXP.test(NAMED_MAILTO_REGEXP.exec(p)?.[1]?.trim() ?? p)
  );
}

/**
 * Mail recipients under `from` / `to` (path keys of copy and move tools too) are not paths: read as nothing.
 *
 * Corpus: `tests/decision/cases/paths/` (`to-mail-recipients`, `to-named-address-path`, `from-relative`,
 * `to-relative-outside`).
 */
export const mailReader: Reader = {
  id: "mail",
  corpus: ["paths"],
  matches: (s, at) => (at.k === "from" || at.k === "to") && isMailRecipients(s),
  read: () => "done",
};
