import assert from "node:assert/strict";
import { parseIpv4Loose, resolveUrl } from "./resolve_url.ts";

Deno.test("parseIpv4Loose() reads every inet_aton form", () => {
  for (
    const h of [
      "169.254.169.254",
      "2852039166",
      "0xa9fea9fe",
      "0251.0376.0251.0376",
      "169.16689662",
      "169.254.43518",
    ]
  ) {
    assert.equal(parseIpv4Loose(h), "169.254.169.254", h);
  }
  assert.equal(parseIpv4Loose("example.com"), undefined);
  assert.equal(parseIpv4Loose("256.1.1.1"), undefined);
  assert.equal(parseIpv4Loose("4294967296"), undefined);
});

Deno.test("resolveUrl() finds IPv4 inside IPv6-mapped, NAT64 and wildcard-DNS hosts", () => {
  assert.equal(resolveUrl("http://[::ffff:169.254.169.254]/")?.ipv4, "169.254.169.254");
  assert.equal(resolveUrl("http://[64:ff9b::a9fe:a9fe]/")?.ipv4, "169.254.169.254");
  assert.equal(resolveUrl("http://169-254-169-254.sslip.io/")?.ipv4, "169.254.169.254");
  assert.equal(resolveUrl("http://a9fea9fe.nip.io/")?.ipv4, "169.254.169.254");
  assert.equal(resolveUrl("gopher://2852039166:70/")?.ipv4, "169.254.169.254");
  assert.equal(resolveUrl("http://a9fea9fe.7f000001.rbndr.us/")?.ipv4, "169.254.169.254");
});

Deno.test("resolveUrl() lowercases hosts, fills default ports and ignores userinfo", () => {
  const u = resolveUrl("HTTPS://user:pw@API.GitHub.com./x")!;
  assert.deepEqual([u.scheme, u.host, u.port], ["https:", "api.github.com", "443"]);
  assert.equal(resolveUrl("not a url"), undefined);
  assert.deepEqual(resolveUrl("db.internal:5432", { bareHost: true })?.host, "db.internal");
});

Deno.test("embeddedAddresses() reads a dashed IPv6 after a dashed prefix", async () => {
  const { embeddedAddresses } = await import("./resolve_url.ts");
  assert.ok(embeddedAddresses("app-fd00-ec2--254.sslip.io").includes("fd00:ec2::254"));
  assert.ok(embeddedAddresses("x-fe80--1-y.example").includes("fe80::1"));
  assert.ok(embeddedAddresses("a9fe-a9fe.example").includes("169.254.169.254"));
  assert.deepEqual(embeddedAddresses("my-app-v2-beta.example.com"), []);
});
