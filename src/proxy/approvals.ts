import canonicalize from "canonicalize";
import type { CanonicalCall } from "../canonical/mod.ts";
import type { Decision } from "../decision/mod.ts";
import { idKey, type Json } from "./_json_rpc.ts";
import type { TtyAnswer, TtyPrompter } from "./tty_prompter.ts";

/** The sentence a call gets when nobody can be asked. */
export const NO_CHANNEL = "approval required and no approval channel available";

/** How a human (or the lack of one) answered an approval. */
export interface Outcome {
  /** Where the answer came from: the client's elicitation, the terminal, a grant for this session, or none. */
  channel: "elicitation" | "tty" | "session" | "none";
  /** Whether the call may run. */
  granted: boolean;
  /** Allowed for the rest of the session (same server, tool and canonical arguments). */
  session: boolean;
  /** What happened, for the trace. */
  detail: string;
}

/** Options for {@link Approvals}. */
export interface ApprovalsOptions {
  /** The server's name in the policy (shown in the question). */
  server: string;
  /** Session id: the prefix of the elicitation ids the proxy sends. */
  sessionId: string;
  /** Sends one message to the client (elicitation/create, notifications/cancelled). */
  toClient: (msg: Json) => void;
  /** Approval timeout in ms (default 60 000). */
  timeoutMs?: number;
  /** The terminal prompter, when there is a terminal. Called lazily at the first question on the terminal. */
  tty?: () => TtyPrompter | undefined;
}

/** What {@link Approvals.ask} needs besides the call and the decision. */
export interface AskOptions {
  /** The client's request id, by which {@link Approvals.cancel} withdraws the question (none: not withdrawable). */
  requestId?: unknown;
  /** The arguments as the client sent them (shown in full to the human, and the key of a session grant). */
  arguments: unknown;
}

interface Question {
  requestId?: unknown;
  text: string;
  resolve: (o: Outcome) => void;
  abort: AbortController;
  elicitId?: string;
  timer?: ReturnType<typeof setTimeout>;
  done: boolean;
}

/**
 * Asks a human whether a call whose verdict is `approve` may run: through MCP elicitation when the client
 * declared it at initialize, else on the terminal, else nobody (denied). Waiting never blocks other traffic;
 * "allow for this session" is remembered per server, tool and canonical (RFC 8785) arguments.
 */
export class Approvals {
  readonly #o: ApprovalsOptions;
  readonly #byRequest = new Map<string | number, Question>();
  readonly #elicits = new Map<string, Question>();
  readonly #grants = new Set<string>();
  #clientElicitation = false;
  #elicitSeq = 0;
  #tty: TtyPrompter | undefined | null = null;

  /** @param opts see {@link ApprovalsOptions} */
  constructor(opts: ApprovalsOptions) {
    this.#o = opts;
  }

  /** Number of questions waiting for a withdrawable request. */
  get size(): number {
    return this.#byRequest.size;
  }

  /**
   * Whether the client can be asked by elicitation (its `initialize` declared the capability).
   * @param yes the client's `capabilities.elicitation` was present
   */
  set clientElicitation(yes: boolean) {
    this.#clientElicitation = yes;
  }

  /** @returns whether the client declared elicitation */
  get clientElicitation(): boolean {
    return this.#clientElicitation;
  }

  /**
   * Whether "allow for this session" was answered earlier for this tool and these arguments: then the call
   * runs without a question (checked before {@link ask}, so it passes at once).
   * @param call the canonical call
   * @param args the call's arguments
   * @returns true when granted
   */
  grantedForSession(call: CanonicalCall, args: unknown): boolean {
    return this.#grants.has(this.#key(call, args));
  }

  /**
   * Asks whether the call may run.
   * @param call the canonical call
   * @param decision the `approve` decision (its reason is shown)
   * @param opts the request id (to withdraw the question) and the arguments
   * @returns the human's answer; a withdrawn question resolves as not granted
   */
  ask(call: CanonicalCall, decision: Decision, opts: AskOptions): Promise<Outcome> {
    const key = this.#key(call, opts.arguments);
    const shown = JSON.stringify(opts.arguments ?? {}, null, 2);
    const text = `AgentPerms: server "${this.#o.server}" wants to run tool "${
      call.tool ?? "?"
    }" with these arguments:\n${shown}\nReason: ${decision.reason}`;
    return new Promise<Outcome>((resolve) => {
      const q: Question = {
        requestId: opts.requestId,
        text,
        resolve: (o) => {
          if (o.granted && o.session) this.#grants.add(key);
          resolve(o);
        },
        abort: new AbortController(),
        done: false,
      };
      if (opts.requestId !== undefined) this.#byRequest.set(idKey(opts.requestId), q);
      if (this.#clientElicitation) this.#askClient(q);
      else this.#askTty(q);
    });
  }

  /**
   * Withdraws the question for a request the client cancelled: the elicitation is cancelled on the client,
   * the terminal question taken back. Its promise resolves as not granted ("withdrawn").
   * @param requestId the client's request id
   * @returns the channel that was asking, or undefined when no question was open for that request
   */
  cancel(requestId: unknown): "elicitation" | "tty" | undefined {
    const q = this.#byRequest.get(idKey(requestId));
    if (!q) return undefined;
    const channel = q.elicitId ? "elicitation" : "tty";
    if (q.elicitId) {
      this.#o.toClient({
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: q.elicitId, reason: "the call was cancelled" },
      });
    }
    q.abort.abort();
    this.#finish(q, { channel, granted: false, session: false, detail: "withdrawn" });
    return channel;
  }

  /**
   * Ends every open question (the server exited): each resolves as not granted with this detail.
   * @param detail why
   */
  cancelAll(detail: string): void {
    for (const q of [...this.#byRequest.values()]) {
      this.#finish(q, { channel: "none", granted: false, session: false, detail });
    }
  }

  /**
   * A response the client sent: if it answers an elicitation the proxy asked, it is taken here.
   * @param m the client's response (an id and a result or an error)
   * @returns true when it was the proxy's (also a late answer to a question that timed out or was withdrawn)
   */
  answer(m: Json): boolean {
    const id = m.id;
    if (typeof id !== "string") return false;
    const q = this.#elicits.get(id);
    if (!q) return id.startsWith(this.#elicitPrefix());
    if (m.error !== undefined) {
      // The client declared elicitation but could not ask (unsupported form, no UI): try the terminal.
      clearTimeout(q.timer);
      this.#elicits.delete(id);
      q.elicitId = undefined;
      this.#askTty(q);
      return true;
    }
    const r = (m.result ?? {}) as Json;
    const content = (r.content ?? {}) as Json;
    const choice = content.decision;
    const accepted = r.action === "accept" && choice !== "deny" && content.approve !== false;
    const session = accepted && choice === "allow-session";
    const detail = accepted
      ? (session ? "allowed for this session" : "allowed once")
      : `the user answered ${String(r.action ?? "?")}${choice === "deny" ? " (deny)" : ""}`;
    this.#finish(q, { channel: "elicitation", granted: accepted, session, detail });
    return true;
  }

  #key(call: CanonicalCall, args: unknown): string {
    return `${this.#o.server}\u0000${call.tool ?? ""}\u0000${canonicalize(args ?? {}) ?? ""}`;
  }

  #elicitPrefix(): string {
    return `agentperms-${this.#o.sessionId}-approval-`;
  }

  #timeoutMs(): number {
    return this.#o.timeoutMs ?? 60_000;
  }

  #askClient(q: Question): void {
    const elicitId = `${this.#elicitPrefix()}${++this.#elicitSeq}`;
    q.elicitId = elicitId;
    this.#elicits.set(elicitId, q);
    q.timer = setTimeout(
      () =>
        this.#finish(q, {
          channel: "elicitation",
          granted: false,
          session: false,
          detail: "no answer before the approval timeout",
        }),
      this.#timeoutMs(),
    );
    this.#o.toClient({
      jsonrpc: "2.0",
      id: elicitId,
      method: "elicitation/create",
      params: {
        message: q.text,
        requestedSchema: {
          type: "object",
          properties: {
            decision: {
              type: "string",
              title: "Allow this call?",
              enum: ["allow", "allow-session", "deny"],
              enumNames: ["Allow once", "Allow for this session", "Deny"],
            },
          },
          required: ["decision"],
        },
      },
    });
  }

  /** The terminal channel (or, without a terminal, the "no channel" denial). */
  #askTty(q: Question): void {
    if (this.#tty === null) this.#tty = this.#o.tty?.();
    const tty = this.#tty;
    if (!tty) {
      this.#finish(q, { channel: "none", granted: false, session: false, detail: NO_CHANNEL });
      return;
    }
    const timeoutMs = this.#timeoutMs();
    tty.ask(
      `\n${q.text}\nAllow? [y]es once / [a]lways this session / [N]o (denied in ${
        Math.round(timeoutMs / 1000)
      } s): `,
      { timeoutMs, signal: q.abort.signal },
    ).then((a: TtyAnswer) => {
      if (a === "withdrawn") return;
      const granted = a === "once" || a === "session";
      const detail = a === "timeout"
        ? "no answer before the approval timeout"
        : a === "closed"
        ? "the terminal closed"
        : granted
        ? (a === "session" ? "allowed for this session" : "allowed once")
        : "refused by the user";
      this.#finish(q, { channel: "tty", granted, session: a === "session", detail });
    });
  }

  #finish(q: Question, o: Outcome): void {
    if (q.done) return;
    q.done = true;
    clearTimeout(q.timer);
    if (q.elicitId) this.#elicits.delete(q.elicitId);
    if (q.requestId !== undefined && this.#byRequest.get(idKey(q.requestId)) === q) {
      this.#byRequest.delete(idKey(q.requestId));
    }
    q.resolve(o);
  }
}
