// Sends a workload's commands to a real gateway over HTTP, as a client would through faults: an
// answer that is not definite (HTTP 5xx, INTERNAL_SERVER_ERROR, a timeout, a connection refused)
// is sent again with the same commandId until it is, so the test knows the fate of every command.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { SignJWT } from "jose";
import { streamIdFor } from "@coop/command-bus";
import type { AnyCommand, Workload } from "./feature";
import type { ExpectedModel } from "./model";
import { Random } from "./random";

/** Each command type's mutation: `RecordPayment` is `recordPayment(input: RecordPaymentInput!)`. */
function mutationOf(commandType: string): [field: string, input: string] {
  return [commandType[0]!.toLowerCase() + commandType.slice(1), `${commandType}Input`];
}

export type Answer = { definite: true; accepted: boolean; reason?: string } | { definite: false; why: string };

export interface SentLog {
  /** When each definite answer came (ms since epoch). */
  answers: number[];
  /** Answers that were not definite, and why (the command was sent again). */
  retries: { at: number; why: string }[];
}

export class HttpCommands {
  readonly log: SentLog = { answers: [], retries: [] };
  private readonly tokens = new Map<string, Promise<string>>();

  constructor(
    private readonly url: () => string,
    private readonly jwtSecret: string,
    private readonly model: ExpectedModel,
  ) {}

  private token(tenantId: string): Promise<string> {
    let token = this.tokens.get(tenantId);
    if (!token) {
      token = new SignJWT({ tenant_id: tenantId, roles: ["admin", "coordinator", "finance"] })
        .setProtectedHeader({ alg: "HS256" })
        .setSubject("worker-test")
        .setIssuedAt()
        .setExpirationTime("2h")
        .sign(new TextEncoder().encode(this.jwtSecret));
      this.tokens.set(tenantId, token);
    }
    return token;
  }

  /** One attempt. */
  async send(tenantId: string, command: AnyCommand, commandId: string): Promise<Answer> {
    const [field, inputType] = mutationOf(command.type);
    const { commentId: _derived, ...payload } = command.payload as Record<string, unknown>;
    const body = JSON.stringify({ query: `mutation($input: ${inputType}!) { ${field}(input: $input) { commandId version } }`, variables: { input: { ...payload, commandId } } });
    let response: Response;
    try {
      response = await fetch(`${this.url()}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${await this.token(tenantId)}` },
        body,
        signal: AbortSignal.timeout(15_000),
      });
    } catch (error) {
      return { definite: false, why: `no answer: ${(error as Error).message}` };
    }
    if (response.status >= 500) return { definite: false, why: `HTTP ${response.status}` };
    let result: { data?: Record<string, unknown> | null; errors?: { extensions?: { code?: string; reason?: string } }[] };
    try {
      result = (await response.json()) as typeof result;
    } catch {
      return { definite: false, why: `HTTP ${response.status}, not JSON` };
    }
    const error = result.errors?.[0]?.extensions;
    if (!error && result.data?.[field]) return { definite: true, accepted: true };
    const code = error?.code ?? "none";
    if (code === "CONFLICT" || code === "NOT_FOUND") return { definite: true, accepted: false, reason: error?.reason ?? code };
    return { definite: false, why: code };
  }

  /** Sends until the answer is definite; checks it against the model's prediction; records it. */
  async dispatch(tenantId: string, command: AnyCommand, stop: () => boolean): Promise<void> {
    const commandId = randomUUID();
    const verdict = this.model.predict(tenantId, command);
    for (let attempt = 1; ; attempt++) {
      const answer = await this.send(tenantId, command, commandId);
      if (answer.definite) {
        if (answer.accepted !== verdict.accepted) {
          throw new Error(`${command.type} (${commandId}): expected ${verdict.accepted ? "acceptance" : `refusal ${(verdict as { reason: string }).reason}`}, got ${JSON.stringify(answer)}`);
        }
        this.log.answers.push(Date.now());
        if (answer.accepted) {
          // The gateway names a comment after its command id, so a resent command names the same one.
          const accepted = command.type === "AddComment" ? { ...command, payload: { ...command.payload, commentId: streamIdFor(tenantId, `comment:${commandId}`) } } : command;
          this.model.accept(tenantId, accepted);
        } else this.model.refused++;
        return;
      }
      this.log.retries.push({ at: Date.now(), why: answer.why });
      if (stop()) throw new Error(`${command.type} (${commandId}) had no definite answer by the end: ${answer.why}`);
      await sleep(Math.min(2_000, 100 * attempt));
    }
  }

  /**
   * Sends every plan's commands in order (plans interleaved, `concurrency` in flight) until the
   * workload is done or `stop()` turns true (then the commands in flight finish).
   */
  async run(workload: Workload, options: { concurrency: number; stop: () => boolean; paceMs?: number }): Promise<void> {
    const rnd = new Random(workload.seed + 7);
    const cursors = workload.plans.map(() => 0);
    const busy = new Set<number>();
    const lane = async () => {
      for (;;) {
        if (options.stop()) return;
        const ready = workload.plans.map((_, i) => i).filter((i) => !busy.has(i) && cursors[i]! < workload.plans[i]!.commands.length);
        if (ready.length === 0) {
          if (!workload.plans.some((p, i) => cursors[i]! < p.commands.length)) return;
          await sleep(2);
          continue;
        }
        const i = rnd.pick(ready);
        busy.add(i);
        try {
          await this.dispatch(workload.plans[i]!.tenantId, workload.plans[i]!.commands[cursors[i]!]!, () => false);
          cursors[i]!++;
        } finally {
          busy.delete(i);
        }
        if (options.paceMs) await sleep(options.paceMs);
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, lane));
  }
}
