import type { TraceEventV1 } from "./schema.ts";

/**
 * Puts each call back together with its result. The proxy writes a forwarded call's `call` line before it
 * passes the call on (so a crash cannot lose a call the server may have run) and a `result` line, with the
 * same session and decision id, when the answer comes. Readers that want one record per call (infer,
 * report) feed events through this: a `call` waiting for its answer is held until its `result` arrives, then
 * emitted with `result` and `latencyMs` filled in. A call whose answer never came (the proxy was killed) is
 * emitted without a result by {@link CallResultJoiner.end}. Every other event, and a call already complete
 * (denied, a notification, traces written before the split), passes straight through.
 */
export class CallResultJoiner {
  readonly #waiting = new Map<string, TraceEventV1>();

  /** Calls still waiting for their result. */
  get waiting(): number {
    return this.#waiting.size;
  }

  /**
   * Feeds one event.
   * @param ev the event as read
   * @returns the events ready now: usually `[ev]`; `[]` for a call that waits; the completed call for a result
   */
  push(ev: TraceEventV1): TraceEventV1[] {
    if (ev.kind === "call" && awaitsResult(ev)) {
      this.#waiting.set(keyOf(ev.sessionId, ev.decision!.decisionId!), ev);
      return [];
    }
    if (ev.kind === "result" && typeof ev.decisionId === "string") {
      const k = keyOf(ev.sessionId, ev.decisionId);
      const call = this.#waiting.get(k);
      // A result whose call is not in this stream (a trace cut at the front) has nothing to complete.
      if (!call) return [];
      this.#waiting.delete(k);
      if (ev.latencyMs !== undefined) call.latencyMs = ev.latencyMs;
      if (ev.result !== undefined) call.result = ev.result;
      if (ev.redactions?.length) call.redactions = [...(call.redactions ?? []), ...ev.redactions];
      return [call];
    }
    return [ev];
  }

  /**
   * Ends the stream.
   * @returns the calls that never got a result, in the order they were read
   */
  end(): TraceEventV1[] {
    const rest = [...this.#waiting.values()];
    this.#waiting.clear();
    return rest;
  }
}

/** A forwarded request (it has an id) traced before its answer: its result comes on a later line. */
function awaitsResult(ev: TraceEventV1): boolean {
  return ev.result === undefined && ev.forwarded === true && ev.id !== null && ev.id !== undefined &&
    typeof ev.decision?.decisionId === "string";
}

function keyOf(sessionId: string, decisionId: string): string {
  return `${sessionId}\u0000${decisionId}`;
}

/**
 * {@link CallResultJoiner} over a whole list (tests, small traces).
 * @param events events in file order
 * @returns one record per call, results merged in; other events unchanged
 */
export function joinCallResults(events: Iterable<TraceEventV1>): TraceEventV1[] {
  const j = new CallResultJoiner();
  const out: TraceEventV1[] = [];
  for (const ev of events) out.push(...j.push(ev));
  out.push(...j.end());
  return out;
}
