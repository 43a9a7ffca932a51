import assert from "node:assert/strict";
import fc from "fast-check";
import { isWithin } from "../canonical/mod.ts";
import { decide } from "../decision/mod.ts";
import { compilePolicy } from "../policy/mod.ts";
import { permissionCall, planLaunch } from "./mod.ts";

const DIRS = ["/r", "/r/a", "/r/a/b", "/r/a_x", "/r/c", "/r/c/d", "/s"];
const ACCESS = [...DIRS, "/r/a/f", "/r/a/b/f", "/r/a_x/f", "/r/c/d/f", "/s/f", "/t/f", "/"];

/** Deno 2.9 flag semantics (DENO_NOTES §1.4): the most specific matching path wins; on a tie, deny wins. */
function denoAllows(allow: string[], deny: string[], p: string): boolean {
  const depth = (xs: string[]) => Math.max(-1, ...xs.filter((x) => isWithin(p, x)).map((x) => x.length));
  const a = depth(allow);
  const d = depth(deny);
  return a >= 0 && a > d;
}

Deno.test("planLaunch() flags and decide() on deno/permission agree on every path without symlinks", () => {
  fc.assert(
    fc.property(
      fc.subarray(DIRS),
      fc.subarray(DIRS),
      fc.boolean(),
      (allowed, denied, broker) => {
        const policy = compilePolicy({
          version: 1,
          servers: {
            s: {
              allowed_paths: allowed,
              denied_paths: denied,
              ...(broker ? { sandbox: { mode: "broker" } } : {}),
            },
          },
        }, { baseDir: "/", home: "/h" });
        const plan = planLaunch(policy, "s", ["npx", "srv@1.0.0"], {
          denoPath: "deno",
          home: "/h",
          cwd: "/",
          env: { DENO_DIR: "/cache" },
          mode: "enforce",
        });
        const allow = plan.flags.filter((f) => f.flag === "allow-read").map((f) => f.value);
        const deny = plan.flags.filter((f) => f.flag === "deny-read").map((f) => f.value);
        for (const p of ACCESS) {
          const call = permissionCall("s", { permission: "read", value: p }, { cwd: "/", home: "/h" });
          const d = decide(policy, call, { permissions: plan.grants });
          assert.equal(
            d.verdict === "allow",
            denoAllows(allow, deny, p),
            `read ${p} with allowed ${allowed} denied ${denied}: decide says ${d.verdict} (${d.reason})`,
          );
        }
      },
    ),
    { numRuns: 500, seed: 7 },
  );
});

Deno.test("planLaunch() never grants --allow-run or --allow-all to a contained server unless sandbox.run asks", () => {
  const flagTok = fc.constantFrom(
    "-A",
    "--allow-all",
    "--allow-run",
    "--allow-run=sh",
    "-R",
    "--allow-env",
    "-y",
    "--quiet",
  );
  const launcher = fc.constantFrom<string[]>(
    ["npx"],
    ["npx", "-y"],
    ["bunx"],
    ["pnpm", "dlx"],
    ["deno", "run"],
    ["node"],
    ["tsx"],
  );
  fc.assert(
    fc.property(
      launcher,
      fc.array(flagTok, { maxLength: 4 }),
      fc.constantFrom("pkg@1.0.0", "npm:pkg@1.0.0", "server.js", "srv.ts"),
      fc.array(flagTok, { maxLength: 3 }),
      fc.record({
        read: fc.constant(["/w"]),
        env: fc.constantFrom(["*"], ["A"], []),
        net: fc.constantFrom(["*"], []),
      }),
      fc.constantFrom("flags", "broker"),
      (l, pre, mod, post, sb, mode) => {
        const sandbox = { read: [...sb.read], env: [...sb.env], net: [...sb.net], mode };
        const policy = compilePolicy({ version: 1, servers: { s: { sandbox } } }, {
          baseDir: "/",
          home: "/h",
        });
        const plan = planLaunch(policy, "s", [...l, ...pre, mod, ...post], {
          denoPath: "deno",
          home: "/h",
          cwd: "/w",
          env: {},
          mode: "enforce",
        });
        if (!plan.contained) return;
        // Everything before the module is Deno's; after it, the server's own arguments.
        const modIdx = plan.args.findIndex((a) => a.startsWith("npm:") || a.startsWith("/"));
        const denoArgs = plan.args.slice(0, modIdx);
        assert.ok(
          !denoArgs.some((a) => /^(?:-A|--allow-all|--allow-run)(?:=|$)/.test(a)),
          `${[...l, ...pre, mod, ...post].join(" ")} → ${plan.args.join(" ")}`,
        );
        assert.equal(plan.grants?.run.length, 0);
      },
    ),
    { numRuns: 1000, seed: 11 },
  );
});
