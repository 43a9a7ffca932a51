import { idKey, type Json, looseIdKey } from "./_json_rpc.ts";

/** JSON-RPC error code for a call AgentPerms blocked. */
export const BLOCKED_CODE = -32001;
/** How every blocked call's answer starts. */
export const BLOCKED_PREFIX = "AgentPerms blocked this call: ";

/** The answers to one JSON-RPC batch from the client, sent together as one array. */
export interface Batch {
  /** Answers collected so far. */
  responses: unknown[];
  /** Elements still waiting for an answer (from the server or a human). */
  outstanding: number;
  /** Still reading the batch's elements. */
  open: boolean;
}

/** A client request forwarded to the server and not answered yet. */
export interface Pending {
  /** The request's id as the client wrote it. */
  id: unknown;
  /** Its method. */
  method: string;
  /** The tool, for tools/call. */
  tool?: string;
  /** When it was forwarded (`performance.now()`). */
  t0: number;
  /** The batch it came in. */
  batch?: Batch;
  /** Set for traced calls: the decision id the `result` trace line refers to. */
  decisionId?: string;
}

/** What a blocked request's answer says (see {@link blockedReply}). */
export interface BlockedReplyOptions {
  /** The request's id, as its sender wrote it. */
  id: unknown;
  /** The sentence after "AgentPerms blocked this call: ". */
  reason: string;
  /** The decision id of the trace line. */
  decisionId: string;
  /** The rules that decided. */
  ruleIds: string[];
  /** Answer with a tool result the model can read (`isError`) instead of a JSON-RPC error. */
  asToolResult?: boolean;
}

/**
 * The one answer for a blocked request (a denied call, a denied server request, a denied input request): a
 * JSON-RPC error -32001 whose `data` holds the decision id and rule ids, or for a denied tools/call in the
 * default deny style an `isError` tool result with the same ids in `_meta.agentperms`.
 * @param o the request's id, the reason and the decision
 * @returns the JSON-RPC response
 */
export function blockedReply(o: BlockedReplyOptions): Json {
  if (o.asToolResult) {
    return {
      jsonrpc: "2.0",
      id: o.id,
      result: {
        content: [{ type: "text", text: BLOCKED_PREFIX + o.reason }],
        isError: true,
        _meta: { agentperms: { decisionId: o.decisionId, ruleIds: o.ruleIds } },
      },
    };
  }
  return {
    jsonrpc: "2.0",
    id: o.id,
    error: {
      code: BLOCKED_CODE,
      message: BLOCKED_PREFIX + o.reason,
      data: { decisionId: o.decisionId, ruleIds: o.ruleIds },
    },
  };
}

/** Options for {@link RequestBook}. */
export interface RequestBookOptions {
  /** Sends one answer to the client (the proxy's serialization, or the server's own bytes when unchanged). */
  send: (msg: Json, raw?: Uint8Array | string) => void;
  /** Sends a batch's answers, serialized as one array. */
  sendBatch: (text: string) => void;
}

/**
 * What the proxy owes the client: requests in flight (by id, with repeats of an id in flight kept in order)
 * and batches whose answers are collected until every element is answered.
 */
export class RequestBook {
  readonly #o: RequestBookOptions;
  readonly #pending = new Map<string | number, Pending>();
  readonly #dupes = new Map<string | number, Pending[]>();

  /** @param opts how answers reach the client */
  constructor(opts: RequestBookOptions) {
    this.#o = opts;
  }

  /** Number of requests in flight (a repeated id counts once). */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * Records a forwarded request. A duplicate id while the first is in flight: answers are matched in order.
   * @param p the request
   */
  add(p: Pending): void {
    const k = idKey(p.id);
    if (p.batch) p.batch.outstanding++;
    if (this.#pending.has(k)) this.#dupes.set(k, [...(this.#dupes.get(k) ?? []), p]);
    else this.#pending.set(k, p);
  }

  /**
   * @param id an answer's id
   * @returns whether a request with exactly this id is in flight
   */
  has(id: unknown): boolean {
    return this.#pending.has(idKey(id));
  }

  /**
   * Takes the request an answer belongs to. Clients match answers loosely (the MCP SDK compares Number(id)):
   * "1" answers request 1 for them, so it is matched to that request (`loose`), whose id the answer must
   * leave with.
   * @param id the answer's id
   * @returns the request and whether it matched only loosely, or undefined
   */
  take(id: unknown): { pending: Pending; loose: boolean } | undefined {
    let k = idKey(id);
    let pending = this.#pending.get(k);
    let loose = false;
    if (!pending) {
      const lk = looseIdKey(id);
      pending = lk === undefined ? undefined : this.#pending.get(lk);
      if (!pending) return undefined;
      k = lk!;
      loose = true;
    }
    const next = this.#dupes.get(k);
    if (next) {
      this.#pending.set(k, next.shift()!);
      if (next.length === 0) this.#dupes.delete(k);
    } else this.#pending.delete(k);
    return { pending, loose };
  }

  /** @returns every request in flight, and forgets them (the server is gone) */
  drain(): Pending[] {
    const all = [...this.#pending.values(), ...[...this.#dupes.values()].flat()];
    this.#pending.clear();
    this.#dupes.clear();
    return all;
  }

  /** @returns a new batch, open while its elements are read */
  openBatch(): Batch {
    return { responses: [], outstanding: 0, open: true };
  }

  /**
   * All of a batch's elements were read: it is sent once nothing is outstanding.
   * @param batch the batch
   */
  closeBatch(batch: Batch): void {
    batch.open = false;
    this.flush(batch);
  }

  /**
   * Answers a request the proxy answers itself (a denial, a refusal): into its batch, or straight to the
   * client.
   * @param batch the request's batch, if any
   * @param msg the answer
   */
  respond(batch: Batch | undefined, msg: Json): void {
    if (batch) batch.responses.push(msg);
    else this.#o.send(msg);
  }

  /**
   * Answers an outstanding element of a batch (a server's answer, a human's verdict) and sends the batch
   * when it was the last one.
   * @param batch the batch
   * @param msg the answer, or undefined when the element gets none (a withdrawn notification)
   */
  settle(batch: Batch, msg?: Json): void {
    batch.outstanding--;
    if (msg) batch.responses.push(msg);
    this.flush(batch);
  }

  /**
   * Sends a batch's answers once it is closed and nothing is outstanding (an all-notification batch sends
   * nothing).
   * @param batch the batch
   */
  flush(batch: Batch): void {
    if (batch.open || batch.outstanding > 0) return;
    if (batch.responses.length > 0) this.#o.sendBatch(JSON.stringify(batch.responses));
    batch.responses = [];
  }
}
