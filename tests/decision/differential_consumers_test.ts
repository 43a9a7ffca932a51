/**
 * Differential tests against the real consumers on this machine (issue #16), beyond
 * src/canonical/differential_test.ts: what Node's fileURLToPath, WHATWG URL, Python's urllib.parse, realpath(1)
 * and bash read from a value must be among what canonicalizeCall() says the value reaches, and the verdict must
 * follow. The values are the reading pack's mutator forms, so a new mutator form is checked here too.
 */
import assert from "node:assert/strict";
import { normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { canonicalizeCall, compilePolicy, decide, parsePolicy } from "../../mod.ts";
import { hostRealpath } from "../../src/canonical/mod.ts";
import { type AttackCall, MUTATORS } from "../../src/plugins/mod.ts";
import { fillPlaceholders } from "../../src/replay/mod.ts";

const CWD = "/proj";
const HOME = "/home/u";
const O = {
  cwd: CWD,
  home: HOME,
  userHome: (n: string) => (n === "u" ? HOME : n === "root" ? "/root" : undefined),
};

async function python(code: string, args: string[]): Promise<unknown[]> {
  const { stdout, stderr, success } = await new Deno.Command("python3", { args: ["-c", code, ...args] })
    .output();
  assert.ok(success, `python3 failed: ${new TextDecoder().decode(stderr)}`);
  return JSON.parse(new TextDecoder().decode(stdout));
}

function fill(call: AttackCall): AttackCall {
  return fillPlaceholders(call, { home: HOME, cwd: CWD });
}

/** Every form of every path canonicalizeCall() finds in the call. */
function judgedPaths(args: Record<string, unknown>, opts: typeof O = O): Set<string> {
  const call = canonicalizeCall({ server: "fs", tool: "read", arguments: args }, opts);
  return new Set(call.paths.flatMap((p) => p.forms));
}

// ---------------------------------------------------------------------------------------------------------
// file: URIs: Node's fileURLToPath, WHATWG URL's pathname and Python's urlsplit + url2pathname.

const FILE_TARGETS = ["/etc/passwd", "~/.ssh/id_rsa", "./src/app.ts", "./docs/café notes.md"];
const FILE_URIS: string[] = [
  ...FILE_TARGETS.flatMap((p) =>
    ["file-uri-forms", "file-uri", "percent-encoding"].flatMap((m) =>
      MUTATORS[m as "file-uri"].apply({ server: "fs", tool: "read", arguments: { path: p } })
        .map((v) => fill(v.call).arguments!.path as string)
        .filter((u) => /^file:/i.test(u))
    )
  ),
  "file:////etc/passwd",
  "file://localhost//etc/passwd",
  "file:///etc/passwd?#frag",
  "file:///proj/src/%2e%2e/%2e%2e/etc/passwd",
  "file:///proj/src/..%2F..%2Fetc%2Fpasswd",
  "file:///proj/src/a.ts#/../../../../etc/passwd",
  "file:/proj/docs/../../etc/passwd",
  "file:.",
  "file:~/.ssh/id_rsa",
  "file://%6C%6F%63%61%6C%68%6F%73%74/proj/src/app.ts",
];

Deno.test("canonicalizeCall() judges the path Node's fileURLToPath and WHATWG URL open, for every file: URI form", () => {
  const misses: string[] = [];
  for (const u of FILE_URIS) {
    const judged = judgedPaths({ path: u });
    const asUri = judgedPaths({ uri: u });
    const readings: [string, string][] = [];
    try {
      readings.push(["fileURLToPath", fileURLToPath(u)]);
    } catch { /* Node refuses it: nothing is opened */ }
    try {
      readings.push(["WHATWG pathname", decodeURIComponent(new URL(u).pathname)]);
    } catch { /* WHATWG rejects it */ }
    for (const [who, p] of readings) {
      const want = normalize(p).replace(/(.)\/$/, "$1");
      if (!judged.has(want)) misses.push(`${u}: ${who} opens ${want}, path key judged ${[...judged]}`);
      if (!asUri.has(want)) misses.push(`${u}: ${who} opens ${want}, uri key judged ${[...asUri]}`);
    }
  }
  assert.deepEqual(misses, []);
});

/**
 * KNOWN MISSES (readings a real consumer makes that the canonicalizer does not judge, to be fixed in
 * src/canonical/ and then removed from here). The last test of this file proves each is still missed, so an
 * entry left here after its fix fails the suite. Empty: `file:~/.ssh/id_rsa` (Python opens the relative
 * `<cwd>/~/.ssh/id_rsa`) is judged since #16.
 */
const KNOWN_DIFFERENTIAL_MISSES: ReadonlyMap<string, string> = new Map();

Deno.test("canonicalizeCall() judges the path Python's urlsplit + url2pathname opens, for every file: URI form", async () => {
  const code =
    "import sys,json,os.path;from urllib.parse import urlsplit;from urllib.request import url2pathname\n" +
    "print(json.dumps([os.path.normpath(os.path.join('/proj',url2pathname(urlsplit(u).path) or '/')) for u in sys.argv[1:]]))";
  const paths = await python(code, FILE_URIS) as string[];
  const misses = FILE_URIS.flatMap((u, i) => {
    const judged = judgedPaths({ path: u });
    // Python keeps a leading "//"; the kernel reads it as "/".
    const want = paths[i]!.replace(/^\/\/(?=[^/])/, "/");
    if (KNOWN_DIFFERENTIAL_MISSES.has(u)) return [];
    return judged.has(want) ? [] : [`${u}: Python opens ${want}, judged ${[...judged]}`];
  });
  assert.deepEqual(misses, []);
});

Deno.test("a file: URI form is judged the same in tools/call, resources/read and prompts/get", () => {
  const policy = compilePolicy(
    parsePolicy(
      "version: 1\nservers:\n  fs:\n    allowed_paths: [./src, ./docs]\n    denied_paths: [/etc]\n",
      {
        file: "p.yaml",
      },
    ).policy,
    { baseDir: CWD, home: HOME },
  );
  for (const u of FILE_URIS) {
    const verdicts = [
      canonicalizeCall({ server: "fs", tool: "read", arguments: { uri: u } }, O),
      canonicalizeCall({ server: "fs", method: "resources/read", params: { uri: u } }, O),
      canonicalizeCall(
        { server: "fs", method: "prompts/get", params: { name: "p", arguments: { uri: u } } },
        O,
      ),
    ].map((c) => decide(policy, c).verdict);
    assert.equal(new Set(verdicts).size, 1, `${u}: ${verdicts}`);
  }
});

// ---------------------------------------------------------------------------------------------------------
// URLs: the host WHATWG URL, a fetch tool that adds "https://" to a scheme-less value, and Python's urlsplit
// connect to must be among the hosts judged.

const URL_BASES = [
  "http://169.254.169.254/latest/meta-data/",
  "https://evil.example.com/collect",
  "http://[fd00:ec2::254]/latest/",
  "http://100.100.100.200/latest/",
];
const URL_FORMS: string[] = URL_BASES.flatMap((url) =>
  ["url-parser", "embedded-address", "metadata-ip"].flatMap((m) =>
    MUTATORS[m as "url-parser"].apply({ server: "github", tool: "read_file", arguments: { url } })
      .map((v) => v.call.arguments!.url as string)
  )
).concat(URL_BASES);

/** Schemes a fetch tool recognizes; anything else gets "https://" put in front. */
const KNOWN_SCHEME_REGEXP = /^(?:https?|wss?|ftp|file|gopher):/i;

function hostKey(h: string): string {
  return h.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
}

Deno.test("canonicalizeCall() judges every host WHATWG URL, a scheme-adding fetch tool and Python's urlsplit reach", async () => {
  const py = await python(
    "import sys,json,re;from urllib.parse import urlsplit\n" +
      "def h(u):\n try: return urlsplit(u).hostname or ''\n except ValueError: return ''\n" +
      "print(json.dumps([[h(u), h('https://'+u) if not re.match(r'^(?:https?|wss?|ftp|file|gopher):', u) else ''] for u in sys.argv[1:]]))",
    URL_FORMS,
  ) as [string, string][];
  const misses: string[] = [];
  URL_FORMS.forEach((u, i) => {
    const call = canonicalizeCall({ server: "github", tool: "read_file", arguments: { url: u } }, O);
    const judged = new Set(
      call.urls.flatMap((x) => [x.host, x.ipv4, x.ipv6].filter((h) => h !== undefined).map(hostKey)),
    );
    const reached: [string, string][] = [];
    for (const [who, text] of [["WHATWG", u], ["fetch tool adding https://", `https://${u}`]] as const) {
      if (who !== "WHATWG" && KNOWN_SCHEME_REGEXP.test(u)) continue;
      try {
        const h = new URL(text).hostname;
        if (h !== "") reached.push([who, h]);
      } catch { /* this consumer rejects it */ }
    }
    const pyHosts: [string, string][] = [["Python urlsplit", py[i]![0]], [
      "Python urlsplit after https://",
      py[i]![1],
    ]];
    for (const [who, h] of pyHosts) {
      // Python keeps a zone id as written ("%25eth0"); the address is what is reached.
      if (h !== "") reached.push([who, decodeURIComponent(h).replace(/%.*$/, "")]);
    }
    for (const [who, h] of reached) {
      const want = hostKey(h);
      if (!judged.has(want) && !judged.has(want.replace(/%.*$/, ""))) {
        misses.push(`${u}: ${who} reaches ${want}, judged ${[...judged]}`);
      }
    }
  });
  assert.deepEqual(misses, []);
});

Deno.test("every metadata form any consumer reaches is blocked by the metadata guard", () => {
  const policy = compilePolicy(
    parsePolicy("version: 1\nservers:\n  github:\n    allowed_tools: [read_file]\n", { file: "p.yaml" })
      .policy,
    { baseDir: CWD, home: HOME },
  );
  const through = URL_FORMS.filter((u) => !u.includes("evil.example.com")).filter((u) =>
    decide(policy, canonicalizeCall({ server: "github", tool: "read_file", arguments: { url: u } }, O))
      .verdict ===
      "allow"
  );
  assert.deepEqual(through, []);
});

// ---------------------------------------------------------------------------------------------------------
// realpath(1) on a planted symlink tree: what the kernel opens.

Deno.test("canonicalizeCall() reaches what realpath(1) reaches on a planted symlink tree, and denies it", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "agentperms-diff-" }));
  try {
    const proj = `${dir}/proj`;
    await Deno.mkdir(`${proj}/src/sub`, { recursive: true });
    await Deno.mkdir(`${dir}/secret/a/b`, { recursive: true });
    await Deno.mkdir(`${proj}/src.`, { recursive: true });
    await Deno.writeTextFile(`${dir}/secret/key`, "K");
    await Deno.writeTextFile(`${proj}/src./key`, "K");
    // Relative and absolute links, a link to a folder followed by "..", a link to "..", chains and dangling ends.
    await Deno.symlink("../../secret/a/b", `${proj}/src/rel`);
    await Deno.symlink(`${dir}/secret/a/b`, `${proj}/src/abs`);
    await Deno.symlink("..", `${proj}/src/up`);
    await Deno.symlink("c1", `${proj}/src/c0`);
    await Deno.symlink("c2", `${proj}/src/c1`);
    await Deno.symlink("../../secret", `${proj}/src/c2`);
    await Deno.symlink("../../secret/new-file", `${proj}/src/dangling`);
    await Deno.symlink("d2", `${proj}/src/d1`);
    await Deno.symlink(`${dir}/secret/made-by-write`, `${proj}/src/d2`);
    await Deno.symlink("sub/../../../secret", `${proj}/src/dotdot-target`);
    await Deno.symlink("/", `${proj}/src/root`);
    const policy = compilePolicy(
      parsePolicy(`version: 1\nservers:\n  fs:\n    allowed_paths: [./src]\n`, { file: "p.yaml" }).policy,
      { baseDir: proj, home: HOME },
    );
    const opts = { cwd: proj, home: HOME, realpath: hostRealpath };
    const PATHS = [
      "src/rel/../../key",
      "src/abs/../../key",
      "src/up/../secret/key",
      "src/up/src/../../secret/key",
      "src/c0/key",
      "src/c0/../proj/src",
      "src/dangling",
      "src/d1",
      "src/dotdot-target/key",
      "src/root/etc/passwd",
      "src/sub/../rel/../../key",
      "src./key",
      `file://${proj}/src/rel/../../key`,
      `${proj}/src/rel/x/../../../key`,
    ];
    const misses: string[] = [];
    for (const p of PATHS) {
      const plain = p.startsWith("file://") ? p.slice(7) : p;
      const { stdout, success } = await new Deno.Command("realpath", { args: ["-m", "--", plain], cwd: proj })
        .output();
      assert.ok(success, `realpath -m ${plain}`);
      const real = new TextDecoder().decode(stdout).trim();
      const call = canonicalizeCall({ server: "fs", tool: "read", arguments: { path: p } }, opts);
      const forms = call.paths.flatMap((x) => x.forms);
      if (!forms.includes(real)) {
        misses.push(`${p}: realpath(1) reaches ${real}, judged ${JSON.stringify(forms)}`);
      }
      const inside = real === `${proj}/src` || real.startsWith(`${proj}/src/`);
      const d = decide(policy, call);
      if (!inside && d.verdict === "allow") misses.push(`${p}: reaches ${real} outside ./src, yet allowed`);
    }
    assert.deepEqual(misses, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------------------------------
// bash: `bash -n` for what parses at all, and a bash function that prints the absolute path of each argument
// for the static words a command hands to its program.

/**
 * KNOWN MISSES of the shell reader (commands whose reading by bash is not judged, to be fixed in
 * src/canonical/ and then removed from here). The last test of this file proves each is still missed. Empty:
 * the words with a quoted or escaped space or tab (fixed in #16) are among SHELL_COMMANDS.
 */
const KNOWN_BASH_MISSES: readonly string[] = [];

/** Commands that read a file through `cat`; `cat` becomes the printing function `p` when bash runs them. */
const SHELL_COMMANDS: { cmd: string; isStatic: boolean }[] = [
  { cmd: "cat ~/.ssh/id_rsa", isStatic: true },
  { cmd: `cat "$HOME/.ssh/id_rsa"`, isStatic: true },
  { cmd: `cat /e"t"c/pass'w'd`, isStatic: true },
  { cmd: "cat /e\\tc/passwd", isStatic: true },
  { cmd: "cat ./src/../../etc/passwd", isStatic: true },
  { cmd: "cat src//a.ts ./docs/b.md", isStatic: true },
  { cmd: "cat -- /etc/shadow", isStatic: true },
  { cmd: "cat ~root/.bashrc", isStatic: true },
  { cmd: "cd /etc && cat passwd", isStatic: true },
  { cmd: "cd ~/.ssh; cat id_rsa", isStatic: true },
  { cmd: "cd src/../.. && cat etc/passwd", isStatic: true },
  { cmd: "pushd /etc >/dev/null && cat shadow", isStatic: true },
  { cmd: "bash -c 'cat /etc/passwd'", isStatic: true },
  { cmd: `bash -c "bash -c 'cat ~/.ssh/id_rsa'"`, isStatic: true },
  { cmd: "bash <<'EOF'\ncat /etc/shadow\nEOF", isStatic: true },
  { cmd: `cat '/etc'/"passwd" \\/etc\\/shadow`, isStatic: true },
  { cmd: "cat /etc/pass\\wd # ~/.ssh/id_rsa", isStatic: true },
  { cmd: "cat /etc/passwd#not-a-comment", isStatic: true },
  { cmd: "cat ./-/../../etc/passwd", isStatic: true },
  { cmd: "cat </dev/null ~/.ssh/id_rsa 2>/dev/null", isStatic: true },
  { cmd: "cat ~/.ssh/id_rsa && cd /etc || cat passwd", isStatic: true },
  { cmd: "(cd /etc; cat shadow)", isStatic: true },
  { cmd: "{ cd /etc; cat shadow; }", isStatic: true },
  { cmd: "cd /tmp; cd /etc; cat ./passwd", isStatic: true },
  { cmd: "cd / && cd etc && cat passwd", isStatic: true },
  { cmd: "if true; then cd /etc; fi; cat passwd", isStatic: true },
  // A relative word with a quoted or escaped space or tab, and a word ending in an escaped space (#16).
  { cmd: "cat 'a b/../../../../etc/passwd'", isStatic: true },
  { cmd: "cat a\\ b/../../../../etc/passwd", isStatic: true },
  { cmd: `cat "x\ty/../../../../etc/shadow"`, isStatic: true },
  { cmd: "cat src/a\\ b.ts", isStatic: true },
  { cmd: "cat ~/.ssh/id_rsa\\ ", isStatic: true },
  { cmd: 'cat "$HOME/.ssh/id_rsa "', isStatic: true },
  { cmd: "for f in /etc/passwd; do cat $f; done", isStatic: false },
  { cmd: "eval 'cat /etc/passwd'", isStatic: false },
  { cmd: "cat $'/etc/passwd'", isStatic: false },
  { cmd: "cat /etc/{passwd,shadow}", isStatic: false },
  { cmd: "cat ~+/x", isStatic: false },
  { cmd: "cat $PWD/../etc/passwd", isStatic: false },
  { cmd: "cat ${IFS}/etc/passwd", isStatic: false },
  { cmd: "F=/etc/passwd; cat $F", isStatic: false },
  { cmd: "cat $(printf %s /etc/pas swd)", isStatic: false },
  { cmd: "cat `printf %s /etc/shadow`", isStatic: false },
  { cmd: "a=(/etc/passwd); cat ${a[$((1-1))]}", isStatic: false },
  ...["cat ~/.ssh/id_rsa", "cat /etc/passwd"].flatMap((base) =>
    MUTATORS["shell-construct"].apply({ server: "sh", tool: "run", arguments: { command: base } })
      .map((v) => ({ cmd: fill(v.call).arguments!.command as string, isStatic: false }))
      // Programs other than cat (git, tar, curl) do not print what they read.
      .filter((x) => !/\b(?:git|tar|curl)\b/.test(x.cmd))
  ),
];

// Prints each argument as an absolute path (options skipped), exported so nested bash -c and here-docs have it.
// Prints each argument as an absolute path (options skipped), exported so nested bash -c and here-docs have it;
// `sh` runs bash, so `sh -c` and `sh <<EOF` reach the printer too.
const PRINTER =
  `p() { for a in "$@"; do case $a in -*) ;; /*) printf '%s\\0' "$a";; *) printf '%s\\0' "$PWD/$a";; ` +
  `esac; done; }; sh() { bash "$@"; }; export -f p sh; `;

/** A bash glob as a regular expression over a whole path (`?` and `*` stay inside one segment). */
function globRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|\\]/g, "\\$&").replace(/\?/g, "[^/]").replace(/\*/g, "[^/]*");
  return new RegExp(`^${body}$`);
}

async function bashReads(cmd: string, cwd: string, home: string): Promise<string[]> {
  const script = PRINTER + cmd.replace(/\bcat\b/g, "p");
  const { stdout } = await new Deno.Command("bash", {
    args: ["--norc", "--noprofile", "-c", script],
    cwd,
    env: { HOME: home, PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
    clearEnv: true,
  }).output();
  return new TextDecoder().decode(stdout).split("\0").filter((s) => s !== "").map((s) => normalize(s));
}

Deno.test("canonicalizeCall() judges every path bash hands to the program, or says the command is unproven", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "agentperms-bash-" }));
  try {
    const proj = `${dir}/proj`;
    const home = `${dir}/home/u`;
    await Deno.mkdir(`${proj}/src`, { recursive: true });
    await Deno.mkdir(`${home}/.ssh`, { recursive: true });
    const opts = { cwd: proj, home, userHome: (n: string) => (n === "root" ? "/root" : undefined) };
    const policy = compilePolicy(
      parsePolicy("version: 1\nservers:\n  sh:\n    denied_paths: [~/.ssh, /etc, /root]\n", {
        file: "p.yaml",
      })
        .policy,
      { baseDir: proj, home },
    );
    const misses: string[] = [];
    for (const { cmd, isStatic } of SHELL_COMMANDS) {
      if (KNOWN_BASH_MISSES.includes(cmd)) continue;
      const reads = await bashReads(cmd, proj, home);
      assert.ok(reads.length > 0, `bash read nothing from ${JSON.stringify(cmd)}`);
      const call = canonicalizeCall({ server: "sh", tool: "run", arguments: { command: cmd } }, opts);
      const forms = new Set(call.paths.flatMap((x) => x.forms));
      const unproven = call.unproven.length > 0 || call.malformed !== undefined;
      if (isStatic && unproven) {
        misses.push(
          `${JSON.stringify(cmd)} is static, yet unproven: ${call.malformed ?? call.unproven[0]?.reason}`,
        );
      }
      if (!unproven) {
        for (const r of reads) {
          // A glob word is judged as the pattern it is (`/et?/passwd`): it must match what bash expanded.
          const hit = forms.has(r) || [...forms].some((f) => /[?*[]/.test(f) && globRegExp(f).test(r));
          if (!hit) misses.push(`${JSON.stringify(cmd)}: bash reads ${r}, judged ${[...forms]}`);
        }
      }
      const denied = reads.some((r) =>
        ["/etc", `${home}/.ssh`, "/root"].some((d) => r === d || r.startsWith(`${d}/`))
      );
      const d = decide(policy, call);
      if (denied && d.verdict === "allow") {
        misses.push(`${JSON.stringify(cmd)}: bash reads ${reads}, yet allowed`);
      }
    }
    assert.deepEqual(misses, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const SYNTAX: string[] = [
  "cat /etc/passwd (",
  "cat 'unterminated",
  "if then fi",
  "cat ${",
  "a=(",
  "cat /etc/passwd; }",
  "case x in",
  "cat $(echo",
  "echo `ls",
  "cat /etc/passwd;;",
  "function f { cat /etc/passwd; }; f",
  "[[ -f /etc/passwd ]] && cat /etc/passwd",
  "coproc cat /etc/passwd",
  "cat /etc/passwd |& tee x",
  "select x in a; do cat /etc/passwd; done",
  "time -p cat /etc/passwd",
  "! cat /etc/passwd",
  "((x=1)) && cat /etc/passwd",
  "echo ${x//a/b}",
  "declare -A m=([k]=/etc/passwd)",
  "cat <<EOF\n/etc/passwd",
  "echo ok",
  "ls src && git log --oneline -n 5",
];

Deno.test("a command bash -n rejects is never allowed, and one it accepts is not called malformed", async () => {
  const policy = compilePolicy(
    parsePolicy("version: 1\nservers:\n  sh:\n    denied_paths: [/etc]\n", { file: "p.yaml" }).policy,
    { baseDir: CWD, home: HOME },
  );
  const misses: string[] = [];
  for (const cmd of SYNTAX) {
    const { success, stderr } = await new Deno.Command("bash", {
      args: ["--norc", "--noprofile", "-n", "-c", cmd],
    })
      .output();
    // A warning (a here-document ended by the end of the command) is bash's own doubt: malformed is fair there.
    const clean = success && stderr.length === 0;
    const call = canonicalizeCall({ server: "sh", tool: "run", arguments: { command: cmd } }, O);
    const d = decide(policy, call);
    if (!success && d.verdict === "allow") {
      misses.push(`bash -n rejects ${JSON.stringify(cmd)}, yet it is allowed`);
    }
    if (clean && call.malformed !== undefined) {
      misses.push(`bash -n accepts ${JSON.stringify(cmd)}, yet it is malformed: ${call.malformed}`);
    }
  }
  assert.deepEqual(misses, []);
});

Deno.test("KNOWN_DIFFERENTIAL_MISSES are still missed (remove an entry once src/canonical/ judges it)", () => {
  for (const [value, reading] of KNOWN_DIFFERENTIAL_MISSES) {
    assert.ok(
      !judgedPaths({ path: value }).has(reading),
      `${value} is fixed: remove it from KNOWN_DIFFERENTIAL_MISSES`,
    );
  }
});

Deno.test("KNOWN_BASH_MISSES are still missed (remove an entry once src/canonical/ judges what bash reads)", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "agentperms-bash-" }));
  try {
    const opts = { cwd: dir, home: `${dir}/home` };
    for (const cmd of KNOWN_BASH_MISSES) {
      const reads = await bashReads(cmd, dir, `${dir}/home`);
      const call = canonicalizeCall({ server: "sh", tool: "run", arguments: { command: cmd } }, opts);
      const forms = new Set(call.paths.flatMap((x) => x.forms));
      const missed = call.unproven.length === 0 && call.malformed === undefined &&
        reads.some((r) => !forms.has(r));
      assert.ok(missed, `${JSON.stringify(cmd)} is fixed: remove it from KNOWN_BASH_MISSES`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
