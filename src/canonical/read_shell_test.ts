import assert from "node:assert/strict";
import { readShell } from "./read_shell.ts";

const HOME = "/home/user";
const read = (s: string) => readShell(s, { budget: { chars: 1 << 20 } });

/** What bash passes to a program for these words, with HOME set. */
function bashWords(words: string): string[] {
  const out = new Deno.Command("bash", {
    args: ["-c", `printf '%s\\n' ${words}`],
    env: { HOME, PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
    clearEnv: true,
  }).outputSync();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).split("\n").slice(0, -1);
}

const STATIC_WORDS = [
  `~/".ssh"/id_rsa`,
  `~/.s\\sh/id_rsa`,
  `'/etc/pa'"ss"wd`,
  `"$HOME/.aws/credentials"`,
  `$HOME/x\\ y`,
  `/tmp/a\\\nb`,
  `"/a\\"b" '/c\\d'`,
  `./x"/"y ../z`,
  `"/q\\$x" "/r\\\`s"`,
];

Deno.test("readShell() reads static words as bash passes them (printf differential)", () => {
  for (const w of STATIC_WORDS) {
    const r = read(`cat ${w}`);
    assert.deepEqual(r.dynamic, [], w);
    const mine = r.paths.map((p) => p.word.replace(/^(?:~|\$HOME)(?=\/|$)/, HOME));
    assert.deepEqual(mine, bashWords(w), w);
  }
});

Deno.test("readShell() reports every construct only known when it runs", () => {
  for (
    const c of [
      "cat $F",
      "cat ${F:-/x}",
      "cat $(echo x)",
      "cat `echo x`",
      "echo $((1+2))",
      "cat /x/{a,b}",
      "cat $'\\x2f'",
      "cat ~+/x",
      "cat ~-/x",
      "cd $D",
      "cd -",
      "eval $X",
      "$P x",
      'bash -c "$S"',
      "cat <<EOF\n$(id)\nEOF",
      "echo > $OUT",
    ]
  ) {
    assert.notDeepEqual(read(c).dynamic, [], c);
  }
  for (const c of ["cat /x", "ls -la src", "diff <(sort a) <(sort b)", "echo $HOME/x", "cat <<'E'\n$x\nE"]) {
    assert.deepEqual(read(c).dynamic, [], c);
  }
});

Deno.test("readShell() parses sh -c, eval, here-documents to shells, and follows cd and -C", () => {
  const words = (s: string) => read(s).paths.map((p) => `${p.bases.join(",")}|${p.word}`);
  assert.deepEqual(words("bash -lc 'cat /etc/shadow'"), ["|/etc/shadow"]);
  assert.deepEqual(words("sudo -u root env A=1 sh -c 'cat /x'"), ["|/x"]);
  assert.deepEqual(words("eval 'cat /y'"), ["|/y"]);
  assert.deepEqual(words("bash <<E\ncat /z\nE"), ["|/z"]);
  assert.deepEqual(words("cd ~ && cat .ssh/k"), ["|~", "~|.ssh/k"]);
  assert.deepEqual(words("git -C /r log; cat k"), ["|/r", "/r|log", "/r|k"]);
  assert.deepEqual(words("curl -d @.env -F f=@/k https://x"), ["|.env", "|/k", "|f=@/k"]);
  assert.equal(read("echo ${}").error !== undefined, true);
  assert.deepEqual(read("x".repeat(10)).dynamic, []);
  assert.match(readShell("echo hi", { budget: { chars: 3 } }).dynamic[0]!, /too long/);
});
