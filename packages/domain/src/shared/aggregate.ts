// The building blocks of an aggregate: an event module, a command module, and the aggregate that
// lists them. Everything the infrastructure needs (the decider, the unions of commands and events,
// the tables of types and schema versions, upcasting) is derived from those two lists, so adding a
// command or an event is one module and one line in its aggregate.
import type { Decision, DecisionContext, NotFound, Refused, Validated } from "./decider";
import { createUpcasterRegistry, type StoredEventShape, type UpcastStep, type UpcastSteps } from "./upcasting";

/**
 * Where personal data sits in an event's data (CONTRACT section 8): a property name, a path
 * through objects (`a.b`), or through every element of an array (`guardians[].name`). The whole
 * value at the path is personal, whatever its type.
 */
export type PersonalDataPath = string;

/** One event type: its data, its schema version and older shapes, and how it changes the state. */
export interface EventDefinition<T extends string = string, D = unknown, S = unknown> {
  readonly type: T;
  /** Written with every new event of this type. Changing the data's shape means a new version. */
  readonly schemaVersion: number;
  /** Steps from older shapes: the step under key N turns version N data into version N + 1. */
  readonly upcasters?: Readonly<Record<number, UpcastStep>>;
  /** The personal fields of the data: encrypted at rest, erased when the family is forgotten. */
  readonly personalData?: readonly PersonalDataPath[];
  /**
   * The personal fields of each older schema version whose shape differs (the stored form is
   * decrypted before it is upcast): required for every version below `schemaVersion` when the
   * event has upcasters and personal data.
   */
  readonly personalDataBefore?: Readonly<Record<number, readonly PersonalDataPath[]>>;
  /**
   * Appending this event forgets the stream's subject: its data key is destroyed in the same
   * statement, so every personal field of the stream reads as erased from then on.
   */
  readonly forgetsSubject?: boolean;
  /** Pure: never mutates `state`. */
  evolve(state: S, data: D): S;
}

/** The event value an event definition describes: `{ type, data }`. */
export type EventOf<Def> = Def extends EventDefinition<infer T, infer D, infer _S> ? { type: T; data: D } : never;

/**
 * A value that must be unique in the tenant (a coordinator's name, say): a rule no single stream
 * can check. The event store records it with the events, in the same statement; when another
 * stream holds it already, the command is refused with `refusal`.
 */
export interface UniqueClaim<R extends string = string> {
  scope: string;
  value: string;
  refusal: Refused<R>;
}

/** One command type: its input, its validation, its decision and the events it may emit. */
export interface CommandDefinition<
  T extends string = string,
  P = unknown,
  S = unknown,
  E extends EventDefinition<string, never, S> = EventDefinition<string, never, S>,
  R extends string = string,
> {
  readonly type: T;
  /** The events this command may emit (checked when the aggregate is defined). */
  readonly emits: readonly E[];
  /** The stream the command is about, from its validated payload. */
  streamId(payload: P): string;
  /** Shape and range only, independent of state; returns the normalised payload. */
  validate(payload: P, context: DecisionContext): Validated<P>;
  /** The state rules, on a validated payload. */
  decide(payload: P, state: S, context: DecisionContext): Decision<EventOf<NoInfer<E>>, R>;
  /** Values the command's events claim for good, unique in the tenant (checked at append). */
  claims?(payload: P): readonly UniqueClaim<R>[];
}

/** The command value a command definition describes: `{ type, payload }`. */
export type CommandOf<Def> = Def extends CommandDefinition<infer T, infer P, infer _S, infer _E, infer _R> ? { type: T; payload: P } : never;

type AnyCommand = { type: string; payload: unknown };
type AnyEvent = { type: string; data: unknown };

/**
 * An aggregate as the infrastructure sees it: a pure decider over its own commands and events.
 * The command bus, event store and worker work against this shape only.
 */
export interface Aggregate<C extends AnyCommand = AnyCommand, E extends AnyEvent = AnyEvent, S = unknown, R extends string = string> {
  /** Every event of a stream of this aggregate is stored with this stream type. */
  readonly streamType: string;
  /** Bump when the state's shape changes: snapshots of another version are not used. */
  readonly stateSchemaVersion: number;
  readonly commandTypes: readonly C["type"][];
  readonly eventTypes: readonly E["type"][];
  /** Current schema version per event type, written next to each appended event. */
  readonly eventSchemaVersions: Readonly<Record<E["type"], number>>;
  initialState(): S;
  /** Whether a stored state (a snapshot) is one this code can trust; if not, the stream is replayed. */
  isValidState(state: unknown): state is S;
  /** The stream a (validated) command is about. */
  streamIdOf(command: C): string;
  /** Shape and range only; the normalised command. */
  validate(command: C, context: DecisionContext): Validated<C>;
  /** Validates first, then applies the state rules. */
  decide(command: C, state: S, context: DecisionContext): Decision<E, R>;
  /** Pure: never mutates `state`. Throws on an event type of another aggregate. */
  evolve(state: S, event: E): S;
  /** A stored event of any supported schema version, in the current shape; throws otherwise. */
  upcast(stored: StoredEventShape): E & { schemaVersion: number };
  /** The personal fields of an event type's data (section 8) at a schema version (default: the current one), or none. */
  personalData(eventType: string, schemaVersion?: number): readonly PersonalDataPath[];
  /** Whether appending an event of this type forgets the stream's subject (destroys its data key). */
  forgetsSubject(eventType: string): boolean;
  /** What a validated command claims, unique in the tenant, when its events are appended. */
  claimsOf(command: C): readonly UniqueClaim<R>[];
}

/** Event definitions of an aggregate's state `S`: fixes `S`, infers the type and the data. */
export function eventsOf<S>() {
  return <const T extends string, D>(definition: EventDefinition<T, D, S>): EventDefinition<T, D, S> => Object.freeze(definition);
}

/** Command definitions of an aggregate's state `S` and refusal reasons `R`. */
export function commandsOf<S, R extends string>() {
  return <const T extends string, P, const E extends EventDefinition<string, never, S>>(
    definition: CommandDefinition<T, P, S, E, R>,
  ): CommandDefinition<T, P, S, E, R> => Object.freeze(definition);
}

/** A decision that emits one event of the given definition. */
export function emit<T extends string, D, S>(definition: EventDefinition<T, D, S>, data: D): { ok: true; events: [{ type: T; data: D }] } {
  return { ok: true, events: [{ type: definition.type, data }] };
}

/** A refusal (CONFLICT) with one of the aggregate's reasons. */
export function refuse<R extends string>(reason: R, message: string): { ok: false; rejection: Refused<R> } {
  return { ok: false, rejection: { type: "Refused", reason, message } };
}

/** The aggregate does not exist (NOT_FOUND). */
export function notFound(message: string): { ok: false; rejection: NotFound } {
  return { ok: false, rejection: { type: "NotFound", message } };
}

export interface AggregateDefinition<S, C, E> {
  streamType: string;
  stateSchemaVersion: number;
  initialState(): S;
  isValidState(state: unknown): state is S;
  commands: readonly C[];
  events: readonly E[];
}

type EmittedBy<C> = C extends CommandDefinition<string, unknown, never, infer E, string> ? E : never;

/**
 * Builds the aggregate from its lists of commands and events, checking that they fit together:
 * unique types, every emitted event listed, upcasting steps within range. A mismatch is a
 * programming error, reported when the module loads.
 */
export function defineAggregate<
  S,
  R extends string,
  C extends CommandDefinition<string, unknown, S, EventDefinition<string, never, S>, R>,
  E extends EventDefinition<string, never, S>,
>(
  definition: AggregateDefinition<S, C, E> & { commands: readonly (EmittedBy<C> extends E ? C : never)[] },
): Aggregate<CommandOf<C>, EventOf<E>, S, R> {
  type Cmd = CommandOf<C>;
  type Ev = EventOf<E>;
  const { streamType } = definition;
  const problems: string[] = [];
  const commands = new Map<string, CommandDefinition<string, unknown, S, EventDefinition<string, never, S>, R>>();
  for (const command of definition.commands as readonly CommandDefinition<string, unknown, S, EventDefinition<string, never, S>, R>[]) {
    if (commands.has(command.type)) problems.push(`command ${command.type} is listed twice`);
    commands.set(command.type, command);
  }
  const events = new Map<string, EventDefinition<string, unknown, S>>();
  for (const event of definition.events as readonly EventDefinition<string, unknown, S>[]) {
    if (events.has(event.type)) problems.push(`event ${event.type} is listed twice`);
    events.set(event.type, event);
  }
  for (const command of commands.values()) {
    for (const emitted of command.emits) {
      if (events.get(emitted.type) !== (emitted as unknown)) problems.push(`command ${command.type} emits ${emitted.type}, which is not among its events`);
    }
  }
  for (const event of events.values()) {
    if (!event.upcasters || !event.personalData?.length) continue;
    for (let version = 1; version < event.schemaVersion; version++) {
      if (!event.personalDataBefore?.[version]) problems.push(`event ${event.type} has personal data but does not say where it sits in schema version ${version}`);
    }
  }
  if (problems.length > 0) throw new Error(`aggregate ${streamType} is inconsistent:\n  ${problems.join("\n  ")}`);

  const schemaVersions = Object.freeze(Object.fromEntries([...events.values()].map((e) => [e.type, e.schemaVersion]))) as Readonly<Record<Ev["type"], number>>;
  const upcaster = createUpcasterRegistry<Ev>(
    schemaVersions,
    Object.fromEntries([...events.values()].filter((e) => e.upcasters).map((e) => [e.type, e.upcasters!])) as UpcastSteps<Ev>,
  );

  const commandOf = (type: string) => {
    const command = commands.get(type);
    if (!command) throw new Error(`${streamType} has no command ${type}`);
    return command;
  };

  return Object.freeze({
    streamType,
    stateSchemaVersion: definition.stateSchemaVersion,
    commandTypes: Object.freeze([...commands.keys()]) as readonly Cmd["type"][],
    eventTypes: Object.freeze([...events.keys()]) as readonly Ev["type"][],
    eventSchemaVersions: schemaVersions,
    initialState: definition.initialState,
    isValidState: definition.isValidState,
    streamIdOf: (command: Cmd) => commandOf(command.type).streamId(command.payload),
    validate(command: Cmd, context: DecisionContext): Validated<Cmd> {
      const validated = commandOf(command.type).validate(command.payload, context);
      return validated.ok ? { ok: true, value: { type: command.type, payload: validated.value } as Cmd } : validated;
    },
    decide(command: Cmd, state: S, context: DecisionContext): Decision<Ev, R> {
      const definition = commandOf(command.type);
      const validated = definition.validate(command.payload, context);
      if (!validated.ok) return validated;
      return definition.decide(validated.value, state, context) as Decision<Ev, R>;
    },
    evolve(state: S, event: Ev): S {
      const definition = events.get(event.type);
      if (!definition) throw new Error(`${streamType} has no event ${event.type}`);
      return definition.evolve(state, event.data as never);
    },
    upcast: upcaster.upcast,
    personalData(type: string, schemaVersion?: number) {
      const event = events.get(type);
      if (!event) return [];
      if (schemaVersion === undefined || schemaVersion >= event.schemaVersion) return event.personalData ?? [];
      return event.personalDataBefore?.[schemaVersion] ?? event.personalData ?? [];
    },
    forgetsSubject: (type: string) => events.get(type)?.forgetsSubject === true,
    claimsOf: (command: Cmd) => commandOf(command.type).claims?.(command.payload) ?? [],
  });
}
