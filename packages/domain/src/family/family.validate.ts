import { assertNever } from "../shared/assert-never";
import type { DecisionContext, Validated } from "../shared/decider";
import {
  calendarDate,
  email,
  integerInRange,
  invalid,
  jsonValue,
  oneOf,
  optionalTrimmedText,
  phone,
  requireCalendarDate,
  trimmedText,
  uuid,
} from "../shared/validation";
import { CONTACT_METHODS, PAYMENT_METHODS, type FamilyCommand, type FamilyCommandOf } from "./family.commands";

const NAME_MAX = 200;
const CHILD_NAME_MAX = 100;
const COORDINATOR_MAX = 100;
const REASON_MAX = 500;
const NOTE_MAX = 500;
const TRANSACTION_ID_MAX = 100;
const AMOUNT_CENTS_MAX = 10_000_000;
const SCORE_MAX = 100;
const FACTORS_MAX_CHARS = 10_000;
const ENROLLMENT_MAX_DAYS_AHEAD = 365;

type Result = Validated<FamilyCommand>;

/**
 * Shape and range checks, independent of state. Fields are checked in the order they are
 * declared, so the first bad field is the one reported. Returns the normalised command.
 */
export function validateFamilyCommand(command: FamilyCommand, context: DecisionContext): Result {
  const today = requireCalendarDate(context.today, "context.today");
  switch (command.type) {
    case "EnrollFamily":
      return validateEnrollFamily(command, today);
    case "AddChild":
      return validateAddChild(command, today);
    case "RecordPayment":
      return validateRecordPayment(command, today);
    case "UpdateEngagementScore":
    case "AssessRisk":
      return validateScore(command);
    case "RecordContact":
      return validateRecordContact(command, today);
    case "AssignCoordinator":
      return validateAssignCoordinator(command);
    case "WithdrawFamily":
      return validateWithdrawFamily(command);
    default:
      return assertNever(command, "family command");
  }
}

/** A date that is not after today (UTC day numbers). */
function pastOrToday(field: string, value: unknown, today: number) {
  const date = calendarDate(field, value);
  if (date.ok && date.value.day > today) return invalid(field, `${field} must not be in the future`);
  return date;
}

function validateEnrollFamily({ payload: p }: FamilyCommandOf<"EnrollFamily">, today: number): Result {
  const familyId = uuid("familyId", p.familyId);
  if (!familyId.ok) return familyId;
  const familyName = trimmedText("familyName", p.familyName, 1, NAME_MAX);
  if (!familyName.ok) return familyName;
  const enrollmentDate = calendarDate("enrollmentDate", p.enrollmentDate);
  if (!enrollmentDate.ok) return enrollmentDate;
  if (enrollmentDate.value.day - today > ENROLLMENT_MAX_DAYS_AHEAD) {
    return invalid("enrollmentDate", `enrollmentDate must be at most ${ENROLLMENT_MAX_DAYS_AHEAD} days after today`);
  }
  const parentName = trimmedText("parentName", p.parentName, 1, NAME_MAX);
  if (!parentName.ok) return parentName;
  const mail = email("email", p.email);
  if (!mail.ok) return mail;
  const tel = phone("phone", p.phone);
  if (!tel.ok) return tel;
  return {
    ok: true,
    command: {
      type: "EnrollFamily",
      payload: {
        familyId: familyId.value,
        familyName: familyName.value,
        enrollmentDate: enrollmentDate.value.text,
        parentName: parentName.value,
        email: mail.value,
        phone: tel.value,
      },
    },
  };
}

function validateAddChild({ payload: p }: FamilyCommandOf<"AddChild">, today: number): Result {
  const familyId = uuid("familyId", p.familyId);
  if (!familyId.ok) return familyId;
  const childName = trimmedText("childName", p.childName, 1, CHILD_NAME_MAX);
  if (!childName.ok) return childName;
  const birthDate = pastOrToday("birthDate", p.birthDate, today);
  if (!birthDate.ok) return birthDate;
  return {
    ok: true,
    command: { type: "AddChild", payload: { familyId: familyId.value, childName: childName.value, birthDate: birthDate.value.text } },
  };
}

function validateRecordPayment({ payload: p }: FamilyCommandOf<"RecordPayment">, today: number): Result {
  const familyId = uuid("familyId", p.familyId);
  if (!familyId.ok) return familyId;
  const amountCents = integerInRange("amountCents", p.amountCents, 1, AMOUNT_CENTS_MAX);
  if (!amountCents.ok) return amountCents;
  const paidOn = pastOrToday("paidOn", p.paidOn, today);
  if (!paidOn.ok) return paidOn;
  let dueOn: string | null = null;
  if (p.dueOn !== null && p.dueOn !== undefined) {
    const due = calendarDate("dueOn", p.dueOn);
    if (!due.ok) return due;
    dueOn = due.value.text;
  }
  const method = oneOf("method", p.method, PAYMENT_METHODS);
  if (!method.ok) return method;
  const transactionId = trimmedText("transactionId", p.transactionId, 1, TRANSACTION_ID_MAX);
  if (!transactionId.ok) return transactionId;
  return {
    ok: true,
    command: {
      type: "RecordPayment",
      payload: {
        familyId: familyId.value,
        amountCents: amountCents.value,
        paidOn: paidOn.value.text,
        dueOn,
        method: method.value,
        transactionId: transactionId.value,
      },
    },
  };
}

function validateScore(command: FamilyCommandOf<"UpdateEngagementScore" | "AssessRisk">): Result {
  const p = command.payload;
  const familyId = uuid("familyId", p.familyId);
  if (!familyId.ok) return familyId;
  const score = integerInRange("score", p.score, 0, SCORE_MAX);
  if (!score.ok) return score;
  const factors = jsonValue("factors", p.factors, FACTORS_MAX_CHARS);
  if (!factors.ok) return factors;
  return {
    ok: true,
    command: { type: command.type, payload: { familyId: familyId.value, score: score.value, factors: factors.value } },
  };
}

function validateRecordContact({ payload: p }: FamilyCommandOf<"RecordContact">, today: number): Result {
  const familyId = uuid("familyId", p.familyId);
  if (!familyId.ok) return familyId;
  const method = oneOf("method", p.method, CONTACT_METHODS);
  if (!method.ok) return method;
  const contactedOn = pastOrToday("contactedOn", p.contactedOn, today);
  if (!contactedOn.ok) return contactedOn;
  const note = optionalTrimmedText("note", p.note, NOTE_MAX);
  if (!note.ok) return note;
  return {
    ok: true,
    command: {
      type: "RecordContact",
      payload: { familyId: familyId.value, method: method.value, contactedOn: contactedOn.value.text, note: note.value },
    },
  };
}

function validateAssignCoordinator({ payload: p }: FamilyCommandOf<"AssignCoordinator">): Result {
  const familyId = uuid("familyId", p.familyId);
  if (!familyId.ok) return familyId;
  const coordinator = trimmedText("coordinator", p.coordinator, 1, COORDINATOR_MAX);
  if (!coordinator.ok) return coordinator;
  return { ok: true, command: { type: "AssignCoordinator", payload: { familyId: familyId.value, coordinator: coordinator.value } } };
}

function validateWithdrawFamily({ payload: p }: FamilyCommandOf<"WithdrawFamily">): Result {
  const familyId = uuid("familyId", p.familyId);
  if (!familyId.ok) return familyId;
  const reason = trimmedText("reason", p.reason, 1, REASON_MAX);
  if (!reason.ok) return reason;
  return { ok: true, command: { type: "WithdrawFamily", payload: { familyId: familyId.value, reason: reason.value } } };
}
