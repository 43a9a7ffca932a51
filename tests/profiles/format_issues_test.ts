import assert from "node:assert/strict";
import { formatIssues as pluginsFormatIssues } from "../../src/plugins/mod.ts";
import { formatIssues } from "../../src/profiles/_format_issues.ts";

Deno.test("profiles' formatIssues spells issues as the plugins area's does (a copy kept off the proxy's start)", () => {
  const cases = [
    [],
    [{ path: "", message: "not an object" }],
    [{ path: "guards.0.pattern", message: "backreference" }, {
      path: "samples.hit.1",
      message: 'no guard "x"',
    }],
  ];
  for (const issues of cases) assert.equal(formatIssues(issues), pluginsFormatIssues(issues));
});
