import type { Redactor } from "./compile_redactor.ts";

const PEM_BEGIN_REGEXP = /-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----/g;
const PEM_END_REGEXP = /-----END[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----/;
const PEM_RULE_ID = "private-keys/pem-private-key";
/** A key block larger than this without its END line is treated as "key until END" without buffering more. */
const MAX_BLOCK_CHARS = 1 << 20;

/**
 * Redacts a text stream line by line. A private-key block spans lines, so when the PEM rule is on, lines from
 * a BEGIN to its END are held and redacted together (a line-at-a-time filter would print the key body).
 * Everything else is written as soon as its line is complete.
 */
export class RedactLineStream extends TransformStream<string, string> {
  /** Ids of rules that fired, with how many lines they changed (never the values). */
  readonly counts: Map<string, number> = new Map();

  /**
   * @param redactor from `compileRedactor`
   */
  constructor(redactor: Redactor) {
    const counts = new Map<string, number>();
    const pem = redactor.rules.some((r) => r.id === PEM_RULE_ID);
    let rest = "";
    let block: string[] | null = null; // lines of an open key block, newline included
    let blockChars = 0;
    let dropping = false; // an oversized block: drop lines until END
    const redact = (s: string) => {
      const r = redactor.redactText(s);
      for (const id of r.fired) counts.set(id, (counts.get(id) ?? 0) + 1);
      return r.text;
    };
    const opensBlock = (line: string) => {
      if (!pem) return false;
      let last = -1;
      for (const m of line.matchAll(PEM_BEGIN_REGEXP)) last = m.index + m[0].length;
      return last >= 0 && !PEM_END_REGEXP.test(line.slice(last));
    };
    const onLine = (line: string, nl: string): string => {
      if (dropping) {
        const end = PEM_END_REGEXP.exec(line);
        if (!end) return "";
        dropping = false;
        return redact(line.slice(end.index + end[0].length)) + nl;
      }
      if (block) {
        block.push(line + nl);
        blockChars += line.length + nl.length;
        if (PEM_END_REGEXP.test(line)) {
          const text = block.join("");
          block = null;
          return redact(text);
        }
        if (blockChars > MAX_BLOCK_CHARS) {
          const text = block.join("");
          block = null;
          dropping = true;
          return redact(text); // BEGIN without END redacts to the end of the text
        }
        return "";
      }
      if (opensBlock(line)) {
        block = [line + nl];
        blockChars = line.length + nl.length;
        return "";
      }
      return redact(line) + nl;
    };
    super({
      transform(chunk, controller) {
        const parts = (rest + chunk).split("\n");
        rest = parts.pop() ?? "";
        let out = "";
        for (const p of parts) out += onLine(p, "\n");
        if (out) controller.enqueue(out);
      },
      flush(controller) {
        let out = rest ? onLine(rest, "") : "";
        if (block) out += redact(block.join(""));
        if (out) controller.enqueue(out);
      },
    });
    this.counts = counts;
  }
}
