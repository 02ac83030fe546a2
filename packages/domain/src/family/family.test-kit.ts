// Test-only helpers: given(events).when(command).thenEvents([...]) / .thenRejects({...}).
import { expect } from "vitest";
import type { Decision, DecisionContext, Rejection } from "../shared/decider";
import { familyAggregate, type FamilyCommand, type FamilyEvent } from "./family.aggregate";
import type { FamilyState } from "./family.state";

export const TODAY = "2024-06-15";
export const CONTEXT: DecisionContext = { today: TODAY, userId: "test-user" };
export const FAMILY_ID = "3f2c1a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f";
export const OTHER_FAMILY_ID = "b1a2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";
export const COMMENT_ID = "9b8c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e";

type WithoutMessage<R> = R extends unknown ? Omit<R, "message"> & { message?: string } : never;
/** A rejection to match; `message` is optional since its wording is not part of the contract. */
export type ExpectedRejection = WithoutMessage<Rejection>;

export function fold(events: readonly FamilyEvent[], from: FamilyState = familyAggregate.initialState()): FamilyState {
  return events.reduce(familyAggregate.evolve, from);
}

export function given(events: readonly FamilyEvent[] = []) {
  const state = fold(events);
  return {
    state,
    when(command: FamilyCommand, context: DecisionContext = CONTEXT) {
      const decision: Decision<FamilyEvent> = familyAggregate.decide(command, state, context);
      return {
        decision,
        thenEvents(expected: FamilyEvent[]): void {
          expect(decision).toEqual({ ok: true, events: expected });
        },
        thenRejects(expected: ExpectedRejection): void {
          expect(decision.ok, `expected a rejection, got ${JSON.stringify(decision)}`).toBe(false);
          if (decision.ok) return;
          expect(decision.rejection).toMatchObject(expected);
          // Exact keys: no stray fields leak into the GraphQL error extensions.
          expect(Object.keys(decision.rejection).sort()).toEqual([...Object.keys(expected), "message"].filter(unique).sort());
          expect(decision.rejection.message).toEqual(expect.any(String));
        },
      };
    },
  };
}

function unique<T>(value: T, index: number, all: T[]): boolean {
  return all.indexOf(value) === index;
}

// ---------------------------------------------------------------------------------------
// Builders: valid by default, override what the test is about.

type Payload<T extends FamilyCommand["type"]> = Extract<FamilyCommand, { type: T }>["payload"];
type Overrides<T extends FamilyCommand["type"]> = { [K in keyof Payload<T>]?: unknown };

function build<T extends FamilyCommand["type"]>(type: T, defaults: Payload<T>, overrides: Overrides<T>): FamilyCommand {
  // Overrides are `unknown` so tests can send wrongly typed input, as a careless caller could.
  return { type, payload: { ...defaults, ...overrides } } as FamilyCommand;
}

export const cmd = {
  enroll: (o: Overrides<"EnrollFamily"> = {}) =>
    build(
      "EnrollFamily",
      {
        familyId: FAMILY_ID,
        familyName: "Rivera",
        enrollmentDate: "2024-06-01",
        parentName: "Ana Rivera",
        email: "ana@example.org",
        phone: "+1 (555) 010-2030",
      },
      o,
    ),
  addChild: (o: Overrides<"AddChild"> = {}) =>
    build("AddChild", { familyId: FAMILY_ID, childName: "Leo", birthDate: "2018-03-04" }, o),
  recordPayment: (o: Overrides<"RecordPayment"> = {}) =>
    build(
      "RecordPayment",
      { familyId: FAMILY_ID, amountCents: 12_500, paidOn: "2024-06-10", dueOn: "2024-06-01", method: "CARD", transactionId: "tx-1" },
      o,
    ),
  updateEngagementScore: (o: Overrides<"UpdateEngagementScore"> = {}) =>
    build("UpdateEngagementScore", { familyId: FAMILY_ID, score: 60, factors: { attendance: 0.8 } }, o),
  assessRisk: (o: Overrides<"AssessRisk"> = {}) =>
    build("AssessRisk", { familyId: FAMILY_ID, score: 72, factors: ["late payments"] }, o),
  recordContact: (o: Overrides<"RecordContact"> = {}) =>
    build("RecordContact", { familyId: FAMILY_ID, method: "PHONE", contactedOn: "2024-06-14", note: "Left a message" }, o),
  assignCoordinator: (o: Overrides<"AssignCoordinator"> = {}) =>
    build("AssignCoordinator", { familyId: FAMILY_ID, coordinator: "Sam Lee" }, o),
  withdraw: (o: Overrides<"WithdrawFamily"> = {}) =>
    build("WithdrawFamily", { familyId: FAMILY_ID, reason: "Moved away" }, o),
  forget: (o: Overrides<"ForgetFamily"> = {}) => build("ForgetFamily", { familyId: FAMILY_ID }, o),
  addComment: (o: Overrides<"AddComment"> = {}) =>
    build("AddComment", { familyId: FAMILY_ID, commentId: COMMENT_ID, body: "Called about the forms" }, o),
};

export const ev = {
  enrolled: (data: Partial<Extract<FamilyEvent, { type: "FamilyEnrolled" }>["data"]> = {}): FamilyEvent => ({
    type: "FamilyEnrolled",
    data: {
      familyId: FAMILY_ID,
      familyName: "Rivera",
      enrollmentDate: "2024-06-01",
      guardians: [{ name: "Ana Rivera", email: "ana@example.org", phone: "+1 (555) 010-2030" }],
      ...data,
    },
  }),
  paymentReceived: (transactionId: string, amountCents = 12_500): FamilyEvent => ({
    type: "PaymentReceived",
    data: { amountCents, paidOn: "2024-06-10", dueOn: "2024-06-01", method: "CARD", transactionId },
  }),
  withdrawn: (reason = "Moved away"): FamilyEvent => ({ type: "FamilyWithdrawn", data: { reason } }),
  forgotten: (): FamilyEvent => ({ type: "FamilyForgotten", data: {} }),
};

// ---------------------------------------------------------------------------------------
// Field rules shared by several commands' tests.

export const enrolled = [ev.enrolled()];
export const chars = (n: number, c = "a") => c.repeat(n);
export const EMOJI = "😀"; // one code point, two UTF-16 units

/** History a command is tried on: nothing for an enrolment, an enrolled family otherwise. */
function historyFor(command: FamilyCommand): FamilyEvent[] {
  return command.type === "EnrollFamily" ? [] : enrolled;
}

/** given the right history, when `command`, then InvalidInput on `field`. */
export function rejectsField(command: FamilyCommand, field: string): void {
  given(historyFor(command)).when(command).thenRejects({ type: "InvalidInput", field });
}

/** given the right history, when `command`, then it is accepted. */
export function accepts(command: FamilyCommand): void {
  const { decision } = given(historyFor(command)).when(command);
  expect(decision.ok, JSON.stringify(decision)).toBe(true);
}

/** A required text field: trimmed, then 1..max code points, storable text only. */
export function checkRequiredText(field: string, max: number, build: (value: unknown) => FamilyCommand): void {
  for (const bad of ["", "   \t\n", chars(max + 1), chars(max, EMOJI) + "x", null, 7, "a\u0000b", "a\ud83d", "\ude00a"]) {
    rejectsField(build(bad), field);
  }
  accepts(build("a"));
  accepts(build(chars(max)));
  accepts(build(`  ${chars(max)}  `)); // the padding is trimmed away before counting
  accepts(build(chars(max, EMOJI)));
}

/** A calendar date field: a real YYYY-MM-DD date, leap days included. */
export function checkCalendarDate(field: string, build: (value: unknown) => FamilyCommand): void {
  for (const bad of ["2023-02-29", "2024-02-30", "2024-04-31", "2024-13-01", "2024-00-10", "2024-01-00", "2024-1-05", "24-01-05", "2024/01/05", "2024-01-05T00:00:00Z", " 2024-01-05", "", 20240105]) {
    rejectsField(build(bad), field);
  }
  accepts(build("2024-02-29"));
  accepts(build("2000-02-29"));
}
