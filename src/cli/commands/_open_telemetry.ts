import type { DecisionTelemetry } from "../../telemetry/mod.ts";
import denoJson from "../../../deno.json" with { type: "json" };
import { AgentPermsError } from "../../errors.ts";
import type { Io } from "../io.ts";

/**
 * Opens decision telemetry for a proxy when it was asked for (`--otel`) or the standard `OTEL_DENO=true` is
 * set; the OpenTelemetry API is imported only then, so a proxy start without telemetry does not pay for it.
 * `--otel` in a process started without `OTEL_DENO=true` cannot export (Deno starts its exporter at process
 * start): the proxy says so and runs on.
 * @param asked `--otel` was given
 * @param io the process environment, and where lifecycle log records go (`Io.logRecord`)
 * @param note where to say that telemetry is off and why (stderr and the trace)
 * @param remoteUrl the remote endpoint when the proxy bridges to one
 * @returns the reporter, or undefined when telemetry is off
 * @throws {AgentPermsError} usage when Deno's exporter is on and the remote URL would expose a secret
 */
export async function openTelemetry(
  asked: boolean,
  io: Pick<Io, "env" | "logRecord">,
  note: (message: string) => void,
  remoteUrl?: string,
): Promise<DecisionTelemetry | undefined> {
  const env = (name: string) => io.env(name);
  const deno = (env("OTEL_DENO") ?? "").toLowerCase();
  const exporting = deno === "true" || deno === "1";
  if (!asked && !exporting) return undefined;
  const { createDecisionTelemetry, telemetryState, urlExposure } = await import("../../telemetry/mod.ts");
  const exposed = remoteUrl !== undefined && exporting ? urlExposure(remoteUrl) : undefined;
  if (exposed !== undefined) {
    // Deno exports the URL of every request it makes while its exporter is on: the secret would reach the
    // collector. Refused, never passed on.
    throw new AgentPermsError(
      "usage",
      `OpenTelemetry is on (OTEL_DENO=true) and ${exposed}: Deno's own HTTP tracing would export it`,
      {
        hint: 'Move the token into a header (--header "Authorization: Bearer ${env:TOKEN}"), or run this ' +
          "server's proxy without OTEL_DENO/--otel",
      },
    );
  }
  const state = telemetryState(asked, { OTEL_DENO: env("OTEL_DENO") });
  if (!state.on) {
    if (state.problem) note(`[agentperms] ${state.problem}`);
    return undefined;
  }
  if (env("OTEL_BSP_MAX_QUEUE_SIZE") === undefined) {
    note(
      "[agentperms] OpenTelemetry: OTEL_BSP_MAX_QUEUE_SIZE is not set; Deno's default queue drops spans in " +
        "bursts (set it to 65536, as the agentperms launcher does for --otel)",
    );
  }
  // Lifecycle records go through the Io: cli.ts writes them where Deno's exporter picks them up.
  return createDecisionTelemetry(denoJson.version, (line, attributes) => io.logRecord?.(line, attributes), {
    allSpans: env("AGENTPERMS_OTEL_SPANS") === "all",
  });
}
