/** Inputs to a decision that must not be read from the environment, so decide stays pure. */
export interface DecisionContext {
  /** Today's UTC date, YYYY-MM-DD. */
  today: string;
  /** Who sent the command (the token's subject); for events that name their author. */
  userId?: string;
}

/** Shape or range of the input is wrong (BAD_USER_INPUT); `field` is the GraphQL input field name. */
export interface InvalidInput {
  type: "InvalidInput";
  field: string;
  message: string;
}

/** The aggregate does not exist (NOT_FOUND). */
export interface NotFound {
  type: "NotFound";
  message: string;
}

/** A business rule refused the command (CONFLICT); `reason` is one of its aggregate's reasons. */
export interface Refused<R extends string = string> {
  type: "Refused";
  reason: R;
  message: string;
}

/** Why a command was not carried out. Each aggregate names its own refusal reasons (`R`). */
export type Rejection<R extends string = string> = InvalidInput | NotFound | Refused<R>;

export type Decision<E, R extends string = string> = { ok: true; events: E[] } | { ok: false; rejection: Rejection<R> };

/** A validated (normalised) command payload, or the first bad field. */
export type Validated<P> = { ok: true; value: P } | { ok: false; rejection: InvalidInput };
