/** Inputs to a decision that must not be read from the environment, so decide stays pure. */
export interface DecisionContext {
  /** Today's UTC date, YYYY-MM-DD. */
  today: string;
}

export type Rejection =
  /** Shape or range of the input is wrong (BAD_USER_INPUT); `field` is the GraphQL input field name. */
  | { type: "InvalidInput"; field: string; message: string }
  /** The aggregate does not exist (NOT_FOUND). */
  | { type: "NotFound"; message: string }
  /** A business rule refused the command (CONFLICT, `reason` in extensions). */
  | { type: "Refused"; reason: "ALREADY_ENROLLED" | "FAMILY_WITHDRAWN" | "DUPLICATE_TRANSACTION"; message: string };

export type InvalidInput = Extract<Rejection, { type: "InvalidInput" }>;

export type Decision<E> = { ok: true; events: E[] } | { ok: false; rejection: Rejection };

export type Validated<C> = { ok: true; command: C } | { ok: false; rejection: InvalidInput };

/**
 * An aggregate as a pure decider. The infrastructure (command bus, event store, snapshots)
 * works against this shape only, so it never needs to know an aggregate's rules.
 */
export interface Decider<C extends { type: string }, E extends { type: string }, S> {
  streamType: string;
  /** Bump when the state's shape changes: snapshots tagged with another version are ignored. */
  stateSchemaVersion: number;
  /** Current schema version per event type, written next to each appended event. */
  eventSchemaVersions: Record<E["type"], number>;
  commandTypes: readonly C["type"][];
  initialState(): S;
  /** Shape and range only; returns the normalised (trimmed) command. */
  validate(command: C, context: DecisionContext): Validated<C>;
  /** Validates first, then applies the state rules. */
  decide(command: C, state: S, context: DecisionContext): Decision<E>;
  /** Pure: never mutates `state`. */
  evolve(state: S, event: E): S;
  /** Turns a stored event of any supported schema version into the current shape; throws otherwise. */
  upcast(stored: { type: string; schemaVersion: number; data: unknown }): E;
}
