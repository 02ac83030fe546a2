import { setTimeout as sleep } from "node:timers/promises";
import type { Aggregate, DecisionContext, Rejection } from "@coop/domain";
import type { CommandReceipt, CommandStore, EventStore, NewEvent, StoredReceipt, StreamEvent, StreamRef } from "@coop/event-store";
import { AggregateCache, type LiveAggregate } from "./aggregate-cache";
import { payloadHash } from "./payload-hash";
import { KeyedLock, LockQueueFullError } from "./stream-lock";

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
}
export type CommandEnvelope<C extends AnyCommand = AnyCommand> = EnvelopeMeta & C;

export type BusRejection =
  | Rejection
  | { type: "CommandIdReused"; message: string }
  | { type: "ConcurrencyConflict"; message: string }
  /** The id names a stream of another type (a coordinator's id given as a family's, say). */
  | { type: "IdInUse"; message: string };

export type DispatchResult =
  | { ok: true; receipt: CommandReceipt; /** true when an earlier receipt was returned */ repeated: boolean }
  | { ok: false; rejection: BusRejection };

/** Raised when the command could not be carried out for reasons outside the domain (database down). */
export class CommandInfrastructureError extends Error {
  override readonly name = "CommandInfrastructureError";
}

export interface CommandBusOptions {
  eventStore: EventStore;
  commandStore: CommandStore;
  /** Every aggregate the bus routes to; each command type belongs to exactly one. */
  aggregates: readonly Aggregate[];
  /** Snapshot every N events of a stream (default 100). */
  snapshotEvery?: number;
  /** Live aggregates kept per process (default 10,000). */
  cacheSize?: number;
  /** Attempts after a version clash with another process, before CONCURRENCY_CONFLICT (default 20). */
  maxRetries?: number;
  /** Commands that may wait behind one stream in this process; more are CONCURRENCY_CONFLICT (default 100). */
  maxQueuedPerStream?: number;
  /** Today's UTC date, YYYY-MM-DD; injectable for tests. */
  today?: () => string;
  /** Called after every successful append (e.g. to nudge the publisher); must not throw. */
  onAppended?: (receipt: CommandReceipt) => void;
  onError?: (message: string, error: unknown) => void;
}

const utcToday = () => new Date().toISOString().slice(0, 10);

/** A stream as loaded: live, or owned by another aggregate type. */
type Loaded = LiveAggregate<unknown> | { foreignType: string };

/**
 * Carries commands out: validation, the decision on the stream's live state, one append that also
 * records the command (idempotency) and its unique claims. A warm command is one round trip to
 * PostgreSQL; a cold one two; a stale cache costs one more, with the missed events returned by
 * the failed append itself.
 */
export class CommandBus {
  private readonly routes = new Map<string, Aggregate>();
  private readonly cache: AggregateCache<unknown>;
  private readonly locks: KeyedLock;
  private readonly snapshotEvery: number;
  private readonly maxRetries: number;
  private readonly today: () => string;

  constructor(private readonly options: CommandBusOptions) {
    const streamTypes = new Set<string>();
    for (const aggregate of options.aggregates) {
      if (streamTypes.has(aggregate.streamType)) throw new Error(`stream type ${aggregate.streamType} is registered twice`);
      streamTypes.add(aggregate.streamType);
      for (const type of aggregate.commandTypes) {
        if (this.routes.has(type)) throw new Error(`command type ${type} is registered twice`);
        this.routes.set(type, aggregate);
      }
    }
    this.snapshotEvery = options.snapshotEvery ?? 100;
    if (!Number.isInteger(this.snapshotEvery) || this.snapshotEvery < 1) {
      throw new Error(`snapshotEvery must be a whole number of at least 1, got ${options.snapshotEvery}`);
    }
    this.maxRetries = options.maxRetries ?? 20;
    this.cache = new AggregateCache(options.cacheSize ?? 10_000);
    this.locks = new KeyedLock(options.maxQueuedPerStream ?? 100);
    this.today = options.today ?? utcToday;
  }

  /** Live aggregates held in this process (for metrics). */
  get cachedStreams(): number {
    return this.cache.size;
  }

  async dispatch<C extends AnyCommand>(envelope: CommandEnvelope<C>): Promise<DispatchResult> {
    const aggregate = this.routes.get(envelope.type);
    if (!aggregate) throw new Error(`no aggregate handles command type ${envelope.type}`);
    const context: DecisionContext = { today: this.today(), userId: envelope.userId };

    // Shape and range first: BAD_USER_INPUT wins over everything the store could say.
    const validated = aggregate.validate({ type: envelope.type, payload: envelope.payload }, context);
    if (!validated.ok) return { ok: false, rejection: validated.rejection };
    const command = validated.value;
    const hash = payloadHash(command.type, command.payload);
    const stream: StreamRef = { tenantId: envelope.tenantId, streamType: aggregate.streamType, streamId: aggregate.streamIdOf(command) };
    const key = `${stream.tenantId}/${stream.streamType}/${stream.streamId}`;

    try {
      return await this.locks.run(key, async () => {
        try {
          return await this.handle(envelope, command, hash, stream, key, aggregate, context);
        } catch (error) {
          // The cached state may be ahead of or behind what committed; reload next time.
          this.cache.delete(key);
          if (error instanceof CommandInfrastructureError) throw error;
          throw new CommandInfrastructureError(`command ${envelope.type} could not be stored: ${(error as Error).message}`, { cause: error });
        }
      });
    } catch (error) {
      if (error instanceof LockQueueFullError) {
        return { ok: false, rejection: { type: "ConcurrencyConflict", message: `too many commands are waiting for stream ${stream.streamId}; retry later` } };
      }
      throw error;
    }
  }

  private async handle(
    envelope: EnvelopeMeta,
    command: AnyCommand,
    hash: string,
    stream: StreamRef,
    key: string,
    aggregate: Aggregate,
    context: DecisionContext,
  ): Promise<DispatchResult> {
    let live = this.cache.get(key) ?? null;
    for (let attempt = 0; ; attempt++) {
      if (live === null) {
        const loaded = await this.load(stream, aggregate);
        if ("foreignType" in loaded) return this.foreign(envelope, command, hash, stream, aggregate, context, loaded.foreignType);
        live = loaded;
      }
      const decision = aggregate.decide(command, live.state, context);
      if (!decision.ok) {
        // Idempotency comes before the business rules: the command may have been carried out
        // already (the state then refuses it: a duplicate payment, an enrolled family), and a
        // repeat gets its first receipt. And a refusal decided from cached state is only given
        // once the stream is known to be where that state was.
        const { receipt, streamVersion } = await this.options.commandStore.lookUp(stream.tenantId, envelope.commandId, stream.streamId);
        if (receipt) return this.repeat(receipt, command.type, hash);
        if (streamVersion !== live.version && attempt < this.maxRetries) {
          live = null;
          continue;
        }
        return { ok: false, rejection: decision.rejection };
      }

      const events: NewEvent[] = decision.events.map((event: AnyEvent) => ({
        type: event.type,
        schemaVersion: (aggregate.eventSchemaVersions as Record<string, number>)[event.type] ?? missingVersion(event.type),
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
      const claims = aggregate.claimsOf(command);
      const appended = await this.options.eventStore.append(
        stream,
        live.version,
        events,
        { commandId: envelope.commandId, commandType: command.type, payloadHash: hash, userId: envelope.userId, correlationId: envelope.correlationId },
        claims,
      );

      if (appended.ok) {
        const state = decision.events.reduce((s: unknown, e: AnyEvent) => aggregate.evolve(s, e), live.state);
        const next = { state, version: appended.version };
        this.cache.set(key, next);
        this.maybeSnapshot(stream, live.version, next, aggregate.stateSchemaVersion);
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

      switch (appended.reason) {
        case "CommandAlreadyRecorded": {
          const receipt = await this.options.commandStore.findReceipt(stream.tenantId, envelope.commandId);
          if (!receipt) throw new CommandInfrastructureError(`command ${envelope.commandId} is recorded but has no receipt`);
          return this.repeat(receipt, command.type, hash);
        }
        case "ClaimTaken": {
          const receipt = await this.options.commandStore.findReceipt(stream.tenantId, envelope.commandId);
          if (receipt) return this.repeat(receipt, command.type, hash);
          const claim = claims.find((c) => c.scope === appended.claim.scope && c.value === appended.claim.value) ?? claims[0]!;
          return { ok: false, rejection: claim.refusal };
        }
        case "StreamTypeMismatch":
          this.cache.delete(key);
          return this.foreign(envelope, command, hash, stream, aggregate, context, appended.streamType);
        case "WrongExpectedVersion":
          break;
      }

      // Another process appended first: catch up and decide again.
      if (attempt >= this.maxRetries) {
        this.cache.delete(key);
        return {
          ok: false,
          rejection: { type: "ConcurrencyConflict", message: `stream ${stream.streamId} stayed busy through ${attempt + 1} attempts` },
        };
      }
      // The failed append usually brings the events it missed: no round trip, no wait.
      live = appended.missed ? this.foldOrNull(live, appended.missed, aggregate) : null;
      // A clash brings what was missed, so the next try is as good as the winner's next one: go at
      // once. Backing off early would hand the stream to whoever has commands queued behind the
      // winner (each of its tries finds this one asleep) until this one runs out of tries. Only a
      // stream that stays hot through several tries gets a short random pause.
      if (attempt >= 3) await sleep(Math.random() * Math.min(20, 2 ** (attempt - 3)));
    }
  }

  /** The answer to a command on a stream of another type: a repeat, the rejection on an empty stream, or ID_IN_USE. */
  private async foreign(
    envelope: EnvelopeMeta,
    command: AnyCommand,
    hash: string,
    stream: StreamRef,
    aggregate: Aggregate,
    context: DecisionContext,
    foreignType: string,
  ): Promise<DispatchResult> {
    const receipt = await this.options.commandStore.findReceipt(stream.tenantId, envelope.commandId);
    if (receipt) return this.repeat(receipt, command.type, hash);
    // For this aggregate the stream does not exist: a command that needs it is refused as for any
    // unknown id; one that would create it cannot, since the id is taken by another kind of record.
    const decision = aggregate.decide(command, aggregate.initialState(), context);
    if (!decision.ok) return { ok: false, rejection: decision.rejection };
    return {
      ok: false,
      rejection: { type: "IdInUse", message: `id ${stream.streamId} already names a ${foreignType}, not a ${aggregate.streamType}` },
    };
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

  /**
   * The stream's live state from its latest usable snapshot and the events after it. A snapshot
   * that is unreadable, not a valid state, past the stream's head, or that fails to fold is
   * deleted and the stream replayed from its first event.
   */
  private async load(stream: StreamRef, aggregate: Aggregate): Promise<Loaded> {
    const loaded = await this.options.eventStore.load(stream, aggregate.stateSchemaVersion);
    if (loaded.streamType !== null && loaded.streamType !== aggregate.streamType) return { foreignType: loaded.streamType };
    const { snapshot } = loaded;
    if (snapshot) {
      const usable = snapshot.version <= loaded.head && aggregate.isValidState(snapshot.state);
      const live = usable ? this.foldOrNull({ state: snapshot.state, version: snapshot.version }, loaded.events, aggregate) : null;
      if (live) return live;
      this.options.onError?.(`snapshot of ${stream.streamType} ${stream.streamId} at version ${snapshot.version} is unusable: deleted, replaying the stream`, null);
      await this.options.eventStore.deleteSnapshot(stream, aggregate.stateSchemaVersion);
      const replayed = await this.options.eventStore.load(stream, aggregate.stateSchemaVersion, 0, false);
      return this.fold({ state: aggregate.initialState(), version: 0 }, replayed.events, aggregate);
    }
    return this.fold({ state: aggregate.initialState(), version: 0 }, loaded.events, aggregate);
  }

  /** `fold`, or null when the events do not fold onto the start (a gap, an event the aggregate refuses). */
  private foldOrNull(start: LiveAggregate<unknown>, events: StreamEvent[], aggregate: Aggregate): LiveAggregate<unknown> | null {
    try {
      return this.fold(start, events, aggregate);
    } catch {
      return null;
    }
  }

  private fold(start: LiveAggregate<unknown>, events: StreamEvent[], aggregate: Aggregate): LiveAggregate<unknown> {
    let { state, version } = start;
    for (const event of events) {
      if (event.streamVersion !== version + 1) {
        throw new CommandInfrastructureError(`stream has a gap: version ${event.streamVersion} after ${version}`);
      }
      state = aggregate.evolve(state, { type: event.type, data: event.data });
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
