/** A local OTLP/HTTP receiver (JSON encoding) for tests: no collector package is installable here. */

/** One attribute as OTLP/JSON encodes it. */
interface KeyValue {
  key: string;
  value: Record<string, unknown>;
}

/** A span as received, attributes decoded to plain values. */
export interface ReceivedSpan {
  name: string;
  traceId: string;
  parentSpanId: string;
  attributes: Record<string, unknown>;
}

/** What the receiver has seen so far. */
export interface OtlpReceiver {
  /** Base URL to give as OTEL_EXPORTER_OTLP_ENDPOINT. */
  endpoint: string;
  /** Every span received. */
  spans: ReceivedSpan[];
  /** Every metric data point: name and attributes. */
  points: { name: string; attributes: Record<string, unknown>; value: number }[];
  /** Every log record body and attributes. */
  logs: { body: unknown; attributes: Record<string, unknown> }[];
  /** Every request body as text (to look for values that must not leak). */
  raw: string[];
  [Symbol.asyncDispose](): Promise<void>;
}

function decodeValue(v: Record<string, unknown>): unknown {
  if ("stringValue" in v) return v.stringValue;
  if ("boolValue" in v) return v.boolValue;
  if ("intValue" in v) return Number(v.intValue);
  if ("doubleValue" in v) return v.doubleValue;
  if ("arrayValue" in v) {
    const values = (v.arrayValue as { values?: Record<string, unknown>[] }).values ?? [];
    return values.map(decodeValue);
  }
  return v;
}

function attrs(list: KeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((a) => [a.key, decodeValue(a.value)]));
}

/** Starts a receiver on a free loopback port. */
export function startOtlpReceiver(): OtlpReceiver {
  const r: Omit<OtlpReceiver, "endpoint" | typeof Symbol.asyncDispose> = {
    spans: [],
    points: [],
    logs: [],
    raw: [],
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const text = await req.text();
    r.raw.push(text);
    // deno-lint-ignore no-explicit-any
    const body = JSON.parse(text) as any;
    const path = new URL(req.url).pathname;
    if (path === "/v1/traces") {
      for (const rs of body.resourceSpans ?? []) {
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            r.spans.push({
              name: s.name,
              traceId: s.traceId,
              parentSpanId: s.parentSpanId ?? "",
              attributes: attrs(s.attributes),
            });
          }
        }
      }
    } else if (path === "/v1/metrics") {
      for (const rm of body.resourceMetrics ?? []) {
        for (const sm of rm.scopeMetrics ?? []) {
          for (const m of sm.metrics ?? []) {
            const points = m.sum?.dataPoints ?? m.histogram?.dataPoints ?? m.gauge?.dataPoints ?? [];
            for (const p of points) {
              r.points.push({
                name: m.name,
                attributes: attrs(p.attributes),
                value: Number(p.asInt ?? p.asDouble ?? p.count ?? 0),
              });
            }
          }
        }
      }
    } else if (path === "/v1/logs") {
      for (const rl of body.resourceLogs ?? []) {
        for (const sl of rl.scopeLogs ?? []) {
          for (const l of sl.logRecords ?? []) {
            r.logs.push({ body: decodeValue(l.body ?? {}), attributes: attrs(l.attributes) });
          }
        }
      }
    }
    return new Response("{}", { headers: { "content-type": "application/json" } });
  });
  const addr = server.addr as Deno.NetAddr;
  return {
    ...r,
    endpoint: `http://127.0.0.1:${addr.port}`,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  } as OtlpReceiver;
}

/** The environment that points Deno's built-in exporter at a receiver, exporting fast. */
export function otelEnv(endpoint: string): Record<string, string> {
  return {
    OTEL_DENO: "true",
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    OTEL_SERVICE_NAME: "agentperms-test",
    OTEL_BSP_SCHEDULE_DELAY: "50",
    OTEL_METRIC_EXPORT_INTERVAL: "100",
    OTEL_BLRP_SCHEDULE_DELAY: "50",
  };
}
