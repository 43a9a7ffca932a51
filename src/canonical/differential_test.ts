/**
 * Differential tests: the canonicalizer against the real consumers on this machine. Every path or host a real
 * consumer reaches must be among the readings judged.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { hostRealpath } from "./host_realpath.ts";
import { resolvePath } from "./resolve_path.ts";
import { resolveUrlReadings } from "./resolve_url.ts";

const O = { cwd: "/proj", home: "/home/u" };

async function python(code: string, args: string[]): Promise<string[]> {
  const { stdout, success } = await new Deno.Command("python3", { args: ["-c", code, ...args] }).output();
  assert.ok(success, "python3 failed");
  return JSON.parse(new TextDecoder().decode(stdout));
}

const FILE_URLS = [
  "file:///etc/passwd#/../../proj/src/a",
  "file:///etc/shadow?x=/../../proj/src/a",
  "file:///proj/src/%2e%2e/%2e%2e/etc/passwd",
  "file://LOCALHOST/etc/passwd",
  "file://%6Cocalhost/etc/passwd",
  "file:/\\localhost\\etc\\passwd",
  "file:\\\\\\etc\\passwd",
  "file:etc/shadow",
  "file:/etc/passwd?#",
  "file:///home/u/.ssh/id_rsa#x",
  "file:///proj/src/my%20notes.md",
  "file:///etc/pass%77d",
  "fi\tle:///etc/passwd",
];

Deno.test("resolvePath() judges the path Node's fileURLToPath opens, for every file: URL", () => {
  for (const u of FILE_URLS) {
    let p: string;
    try {
      p = fileURLToPath(u.replace(/\t/g, ""));
    } catch {
      continue; // Node refuses it: nothing is opened
    }
    const forms = resolvePath(u, O).forms;
    assert.ok(forms.includes(p), `${u}: Node opens ${p}, judged ${JSON.stringify(forms)}`);
  }
});

Deno.test("resolvePath() judges the path Python's urlsplit + url2pathname opens, for every file: URL", async () => {
  const code =
    "import sys,json,os.path;from urllib.parse import urlsplit;from urllib.request import url2pathname;" +
    "print(json.dumps([os.path.normpath(os.path.join('/proj',url2pathname(urlsplit(u).path) or '/')) for u in sys.argv[1:]]))";
  const paths = await python(code, FILE_URLS);
  FILE_URLS.forEach((u, i) => {
    const forms = resolvePath(u, O).forms;
    assert.ok(forms.includes(paths[i]!), `${u}: Python opens ${paths[i]}, judged ${JSON.stringify(forms)}`);
  });
});

const URLS = [
  "http://evil.example.com\\@good.example.com/",
  "http://good.example.com\\@evil.example.com/",
  "https://good.example.com:443@evil.example.com/",
  "https://a@good.example.com@evil.example.com/",
  "http://evil.example.com#@good.example.com/",
  "http://evil.example.com?@good.example.com/",
  "http://[fe80::1%25eth0]/",
  "http://[::ffff:169.254.169.254]/",
  "HTTP://API.GitHub.COM./x",
  "http://evil.exa\tmple.com/",
  "https:evil.example.com/x",
];

Deno.test("resolveUrlReadings() holds the host of WHATWG URL and of Python's urlsplit", async () => {
  const py = await python(
    "import sys,json;from urllib.parse import urlsplit\n" +
      "def h(u):\n try: return urlsplit(u).hostname or ''\n except ValueError: return ''\n" +
      "print(json.dumps([h(u) for u in sys.argv[1:]]))",
    URLS,
  );
  URLS.forEach((u, i) => {
    const hosts = resolveUrlReadings(u).map((r) => r.host);
    let whatwg: string | undefined;
    try {
      whatwg = new URL(u).hostname.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
    } catch { /* WHATWG rejects it */ }
    if (whatwg !== undefined) assert.ok(hosts.includes(whatwg), `${u}: WHATWG ${whatwg}, judged ${hosts}`);
    const p = py[i]!.replace(/\.$/, "");
    // A zone id is the interface, not the address: Python keeps "%25" as written.
    if (p !== "") assert.ok(hosts.includes(decodeURIComponent(p)), `${u}: Python ${p}, judged ${hosts}`);
  });
});

Deno.test("resolvePath() reaches what realpath(1) reaches on a planted symlink tree", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir());
  try {
    await Deno.mkdir(`${dir}/proj/src`, { recursive: true });
    await Deno.mkdir(`${dir}/secret/deep/er`, { recursive: true });
    await Deno.writeTextFile(`${dir}/secret/key`, "K");
    // src/link -> ../../secret/deep/er: "link/../../key" is secret/key to the kernel, proj/key lexically.
    await Deno.symlink(`${dir}/secret/deep/er`, `${dir}/proj/src/link`);
    // A chain of dangling links: a write through l1 creates secret/new.
    await Deno.symlink(`${dir}/proj/src/l2`, `${dir}/proj/src/l1`);
    await Deno.symlink(`${dir}/proj/src/l3`, `${dir}/proj/src/l2`);
    await Deno.symlink(`${dir}/secret/new`, `${dir}/proj/src/l3`);
    const opts = { cwd: `${dir}/proj`, home: "/home/u", realpath: hostRealpath };
    for (
      const p of [
        "src/link/../../key",
        "src/link/../../../secret/key",
        "src/l1",
        "src/link/x/../../..",
        "src/l1/../key",
      ]
    ) {
      const { stdout } = await new Deno.Command("realpath", { args: ["-m", p], cwd: `${dir}/proj` }).output();
      const real = new TextDecoder().decode(stdout).trim();
      const forms = resolvePath(p, opts).forms;
      assert.ok(forms.includes(real), `${p}: realpath(1) gives ${real}, judged ${JSON.stringify(forms)}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolvePath() reads ~user through the password database", () => {
  const userHome = (n: string) => n === "root" ? "/root" : n === "svc" ? "/var/lib/svc" : undefined;
  const forms = resolvePath("~svc/.ssh/id", { ...O, userHome }).forms;
  assert.ok(forms.includes("/var/lib/svc/.ssh/id"), JSON.stringify(forms));
  assert.ok(resolvePath("~root/x", { ...O, userHome }).forms.includes("/root/x"));
  // The host look-up reads /etc/passwd: root is there on every Linux machine.
  assert.ok(resolvePath("~root/.bashrc", { ...O, realpath: hostRealpath }).forms.includes("/root/.bashrc"));
});
