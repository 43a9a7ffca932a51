import assert from "node:assert/strict";
import { type RuntimeHost, runtimeNeeds } from "./runtime_needs.ts";

/** A host where only /usr/bin/deno and the project's server.ts exist. */
const host: RuntimeHost = {
  realpath: (p) => p,
  kind: (p) => (p === "/usr/bin/deno" || p === "/w/server.ts" ? "file" : undefined),
  head: () => "",
  json: () => undefined,
  list: () => [],
};
const argv = ["deno", "run", "--allow-read", "server.ts"];

Deno.test("runtimeNeeds(): Deno's module cache is shown read-only and named as a cache (not walked for masks)", () => {
  const needs = runtimeNeeds(argv, { cwd: "/w", home: "/home/u", env: { PATH: "/usr/bin" }, host });
  assert.deepEqual(needs.caches, ["/home/u/.cache/deno"]);
  assert.ok(needs.read.some((e) => e.value === "/home/u/.cache/deno"));
  assert.equal(needs.prefetch?.denoDir, "/home/u/.cache/deno");
});

Deno.test("runtimeNeeds(): a DENO_DIR that holds the home is neither shown nor made writable for deno cache", () => {
  for (const dd of ["/home/u", "/home", "/", "/home/u/"]) {
    const needs = runtimeNeeds(argv, {
      cwd: "/w",
      home: "/home/u",
      env: { PATH: "/usr/bin", DENO_DIR: dd },
      host,
    });
    assert.deepEqual(needs.caches, [], dd);
    assert.equal(needs.prefetch, undefined, dd);
    assert.ok(!needs.read.some((e) => e.value === dd || "/home/u/".startsWith(`${e.value}/`)), dd);
    assert.ok(needs.notes.some((n) => n.includes("holds the home")), dd);
  }
});
