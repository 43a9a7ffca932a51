import assert from "node:assert/strict";
import { findVariables, isOnlyVariables } from "./variables.ts";

Deno.test("findVariables() recognises every client's variable syntax without expanding it", () => {
  assert.deepEqual(findVariables("Bearer ${input:gh-token}"), ["${input:gh-token}"]);
  assert.deepEqual(findVariables("${env:HOME}/x and $API_KEY and %APPDATA% and ${VAR:-def}"), [
    "${env:HOME}",
    "$API_KEY",
    "%APPDATA%",
    "${VAR:-def}",
  ]);
  assert.deepEqual(findVariables("plain value"), []);
});

Deno.test("isOnlyVariables() is true only when nothing literal is left", () => {
  assert.equal(isOnlyVariables("${input:token}"), true);
  assert.equal(isOnlyVariables("Bearer ${env:TOKEN}"), true);
  assert.equal(isOnlyVariables("$TOKEN"), true);
  assert.equal(isOnlyVariables("sk-live-${SUFFIX}"), false);
  assert.equal(isOnlyVariables("ghp_abcdef"), false);
  assert.equal(isOnlyVariables(""), false);
});
