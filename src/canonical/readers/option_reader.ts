import { ARGV_KEYS, isCommandKey } from "../argument_keys.ts";
import { looksLikePath } from "../looks_like_path.ts";
import { isOptionShaped, optionKeyClass, optionValues } from "../read_option.ts";
import { looksLikeUrl } from "../resolve_url.ts";
import type { Place, Reader } from "./reader.ts";

/**
 * True when what a `--flag=value` carries is read by the option reader (the value is option-shaped, under a
 * key that is not free text, an argv element or a command): the bare reader then leaves it alone.
 * @param s a string value
 * @param at where it is
 * @returns whether the option reader reads the flag's value
 */
export function optionValueRead(s: string, at: Place): boolean {
  return optionReader.matches(s, at) && optionKeyClass(at.key, at.call.onProgram) !== "free";
}

/**
 * A value a program would read as a command-line option (`-x`, `--upload-pack=…`): option-shaped values of
 * operand arguments (ref, target, host, url, file, path, name…) on any server, and of every argument but free
 * text on a server that runs a program. What the option carries (`--output=/tmp/x`, `-o/etc/passwd`,
 * `--url=http://…`) is judged as a path or URL. Argv elements and commands have their own readers. The value
 * is read on by the readers after this one.
 *
 * Corpus: `tests/decision/cases/option-injection/`.
 */
export const optionReader: Reader = {
  id: "option",
  corpus: ["option-injection"],
  matches: (s, at) => isOptionShaped(s) && !ARGV_KEYS.has(at.k) && !isCommandKey(at.k),
  read(s, at, out) {
    const cls = optionKeyClass(at.key, at.call.onProgram);
    if (cls === "operand" || (cls === "other" && at.call.onProgram)) out.option(s, at);
    if (cls !== "free") {
      for (const w of optionValues(s)) {
        if (looksLikePath(w)) out.path(w, at);
        else if (looksLikeUrl(w)) out.url(w, at, false);
      }
    }
    return "next";
  },
};
