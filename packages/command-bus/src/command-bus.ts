import { setTimeout as sleep } from "node:timers/promises";
import type { Decider, DecisionContext, Rejection } from "@coop/domain";
import type { CommandReceipt, EventStore, CommandStore, StreamRef, NewEvent, StoredReceipt } from "@coop/event-store";
import { AggregateCache, type LiveAggregate } from "./aggregate-cache";
import { KeyedLock } from "./stream-lock";
import { payloadHash } from "./payload-hash";

type AnyCommand = { type: string; payload: unknown };
type AnyEvent = { type: string; data: unknown };

/** Who sent a command and why; the command itself is `type` and `payload`. */
export interface EnvelopeMeta {
  commandId: string;
  tenantId: string;
  userId: string;
  correlationId: string;
  /** What caused this command; defaults to the command itself. */
  causationId?: string;
  /**
   * True when the command id was generated for this dispatch (the client sent none): no earlier
   * command can carry it, so the idempotency lookup is skipped. Never set it for a client's id.
   */
  commandIdIsNew?: boolean;
}
export type CommandEnvelope<C extends AnyCommand> = EnvelopeMeta & C;

export type BusRejection =
  | Rejection
  | { type: "CommandIdReused"; message: string }
  | { type: "ConcurrencyConflict"; message: string };

export type DispatchResult =
  | { ok: true; receipt: CommandReceipt; /** true when an earlier receipt was returned */ repeated: boolean }
  | { ok: false; rejection: BusRejection };

/** An aggregate the bus can route to: its decider and where a command names its stream. */
export interface AggregateRegistration<C extends AnyCommand, E extends AnyEvent, S> {
  decider: Decider<C, E, S>;
  streamIdOf(command: C): string;
}

/** Raised when the command could not be carried out for reasons outside the domain (database down). */
export class CommandInfrastructureError extends Error {
  override readonly name = "CommandInfrastructureError";
}

export interface CommandBusOptions {
  eventStore: EventStore;
  commandStore: CommandStore;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  aggregates: AggregateRegistration<any, any, any>[];
  /** Snapshot every N events of a stream (default 100). */
  snapshotEvery?: number;
  /** Live aggregates kept per process (default 10,000). */
  cacheSize?: number;
  /** Attempts after a version clash with another process, before CONCURRENCY_CONFLICT (default 10). */
  maxRetries?: number;
  /** Today's UTC date, YYYY-MM-DD; injectable for tests. */
  today?: () => string;
  /** Called after every successful append (e.g. to nudge the publisher); must not throw. */
  onAppended?: (receipt: CommandReceipt) => void;
  onError?: (message: string, error: unknown) => void;
}

const utcToday = () => new Date().toISOString().slice(0, 10);

export class CommandBus {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private readonly routes = new Map<string, AggregateRegistration<any, any, any>>();
  private readonly cache: AggregateCache<unknown>;
  private readonly locks = new KeyedLock();
  private readonly snapshotEvery: number;
  private readonly maxRetries: number;
  private readonly today: () => string;

  constructor(private readonly options: CommandBusOptions) {
    for (const registration of options.aggregates) {
      for (const type of registration.decider.commandTypes) {
        if (this.routes.has(type)) throw new Error(`command type ${type} is registered twice`);
        this.routes.set(type, registration);
      }
    }
    this.snapshotEvery = options.snapshotEvery ?? 100;
    if (!Number.isInteger(this.snapshotEvery) || this.snapshotEvery < 1) {
      throw new Error(`snapshotEvery must be a whole number of at least 1, got ${options.snapshotEvery}`);
    }
    this.maxRetries = options.maxRetries ?? 10;
    this.cache = new AggregateCache(options.cacheSize ?? 10_000);
    this.today = options.today ?? utcToday;
  }

  async dispatch<C extends AnyCommand>(envelope: CommandEnvelope<C>): Promise<DispatchResult> {
    const registration = this.routes.get(envelope.type);
    if (!registration) throw new Error(`no aggregate handles command type ${envelope.type}`);
    const { decider } = registration;
    const context: DecisionContext = { today: this.today() };

    // Shape and range first: BAD_USER_INPUT wins over everything the store could say.
    const validated = decider.validate({ type: envelope.type, payload: envelope.payload }, context);
    if (!validated.ok) return { ok: false, rejection: validated.rejection };
    const command = validated.command as C;
    const hash = payloadHash(command.type, command.payload);
    const stream: StreamRef = {
      tenantId: envelope.tenantId,
      streamType: decider.streamType,
      streamId: registration.streamIdOf(command),
    };
    const key = `${stream.tenantId}/${stream.streamId}`;

    return this.locks.run(key, async () => {
      try {
        return await this.handle(envelope, command, hash, stream, key, registration, context);
      } catch (error) {
        // The cached state may be ahead of or behind what committed; reload next time.
        this.cache.delete(key);
        if (error instanceof CommandInfrastructureError) throw error;
        throw new CommandInfrastructureError(`command ${envelope.type} could not be stored: ${(error as Error).message}`, { cause: error });
      }
    });
  }

  private async handle<C extends AnyCommand>(
    envelope: CommandEnvelope<C>,
    command: C,
    hash: string,
    stream: StreamRef,
    key: string,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    { decider }: AggregateRegistration<any, any, any>,
    context: DecisionContext,
  ): Promise<DispatchResult> {
    // Idempotency is checked before the business rules, and again after every clash or refusal: the
    // process that won (or appended just before our load) may have been carrying this very command.
    const earlier = await this.earlierResult(envelope, stream, command.type, hash);
    if (earlier) return earlier;

    let live = await this.live(key, stream, decider);
    for (let attempt = 0; ; attempt++) {
      const decision = decider.decide(command, live.state, context);
      if (!decision.ok) {
        // Another process may have appended this very command between the lookup above and the
        // load: the state then refuses it (a duplicate payment, an enrolled family), and a
        // repeat must get its receipt instead. Rejections are rare, so the look is cheap.
        return (await this.earlierResult(envelope, stream, command.type, hash)) ?? { ok: false, rejection: decision.rejection };
      }

      const events: NewEvent[] = decision.events.map((event: AnyEvent) => ({
        type: event.type,
        schemaVersion: (decider.eventSchemaVersions as Record<string, number>)[event.type] ?? missingVersion(event.type),
        data: event.data,
        metadata: {
          commandId: envelope.commandId,
          commandType: command.type,
          correlationId: envelope.correlationId,
          causationId: envelope.causationId ?? envelope.commandId,
          userId: envelope.userId,
          tenantId: envelope.tenantId,
        },
      }));
      const appended = await this.options.eventStore.append(stream, live.version, events, {
        commandId: envelope.commandId,
        commandType: command.type,
        payloadHash: hash,
        userId: envelope.userId,
        correlationId: envelope.correlationId,
      });

      if (appended.ok) {
        const state = decision.events.reduce((s: unknown, e: AnyEvent) => decider.evolve(s, e), live.state);
        const next = { state, version: appended.version };
        this.cache.set(key, next);
        this.maybeSnapshot(stream, live.version, next, decider.stateSchemaVersion);
        const receipt: CommandReceipt = {
          commandId: envelope.commandId,
          streamId: stream.streamId,
          version: appended.version,
          position: appended.position,
          events: decision.events.map((e: AnyEvent) => e.type),
        };
        this.options.onAppended?.(receipt);
        return { ok: true, receipt, repeated: false };
      }

      if (appended.reason === "CommandAlreadyRecorded") {
        const receipt = await this.options.commandStore.findReceipt(stream.tenantId, envelope.commandId);
        if (!receipt) throw new CommandInfrastructureError(`command ${envelope.commandId} is recorded but has no receipt`);
        return this.repeat(receipt, command.type, hash);
      }

      // Another process appended first: catch up and decide again.
      if (attempt >= this.maxRetries) {
        this.cache.delete(key);
        return {
          ok: false,
          rejection: { type: "ConcurrencyConflict", message: `stream ${stream.streamId} stayed busy through ${attempt + 1} attempts` },
        };
      }
      const repeated = await this.earlierResult(envelope, stream, command.type, hash);
      if (repeated) return repeated;
      live = await this.catchUp(live, stream, decider);
      this.cache.set(key, live);
      await sleep(Math.random() * Math.min(50, 2 ** attempt));
    }
  }

  /** The answer to a command id seen before (its receipt, or COMMAND_ID_REUSED); null if new. */
  private async earlierResult(envelope: CommandEnvelope<AnyCommand>, stream: StreamRef, type: string, hash: string): Promise<DispatchResult | null> {
    // A gateway-minted id cannot have been used before: no lookup.
    if (envelope.commandIdIsNew) return null;
    const receipt = await this.options.commandStore.findReceipt(stream.tenantId, envelope.commandId);
    return receipt ? this.repeat(receipt, type, hash) : null;
  }

  private repeat(receipt: StoredReceipt, type: string, hash: string): DispatchResult {
    if (receipt.commandType !== type || receipt.payloadHash !== hash) {
      return {
        ok: false,
        rejection: { type: "CommandIdReused", message: `command id ${receipt.commandId} was already used for another command` },
      };
    }
    const { commandId, streamId, version, position, events } = receipt;
    return { ok: true, receipt: { commandId, streamId, version, position, events }, repeated: true };
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private async live(key: string, stream: StreamRef, decider: Decider<any, any, any>): Promise<LiveAggregate<unknown>> {
    const cached = this.cache.get(key);
    if (cached) return cached;
    const loaded = await this.options.eventStore.load(stream, decider.stateSchemaVersion);
    const start: LiveAggregate<unknown> = loaded.snapshot
      ? { state: loaded.snapshot.state, version: loaded.snapshot.version }
      : { state: decider.initialState(), version: 0 };
    return this.fold(start, loaded.events, decider);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private async catchUp(live: LiveAggregate<unknown>, stream: StreamRef, decider: Decider<any, any, any>) {
    const loaded = await this.options.eventStore.load(stream, decider.stateSchemaVersion, live.version);
    const start = loaded.snapshot ? { state: loaded.snapshot.state, version: loaded.snapshot.version } : live;
    return this.fold(start, loaded.events, decider);
  }

  private fold(
    start: LiveAggregate<unknown>,
    events: { streamVersion: number; type: string; data: unknown }[],
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    decider: Decider<any, any, any>,
  ): LiveAggregate<unknown> {
    let { state, version } = start;
    for (const event of events) {
      if (event.streamVersion !== version + 1) {
        throw new CommandInfrastructureError(`stream has a gap: version ${event.streamVersion} after ${version}`);
      }
      state = decider.evolve(state, { type: event.type, data: event.data });
      version = event.streamVersion;
    }
    return { state, version };
  }

  private maybeSnapshot(stream: StreamRef, before: number, after: LiveAggregate<unknown>, schemaVersion: number) {
    if (Math.floor(after.version / this.snapshotEvery) === Math.floor(before / this.snapshotEvery)) return;
    // Off the command's path: a lost snapshot costs only a longer replay later.
    this.options.eventStore
      .saveSnapshot(stream, after.version, schemaVersion, after.state)
      .catch((error) => this.options.onError?.(`snapshot of ${stream.streamId} at ${after.version} failed`, error));
  }
}

function missingVersion(type: string): never {
  throw new Error(`event type ${type} has no schema version registered`);
}
