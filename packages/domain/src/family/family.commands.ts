import type { JsonValue } from "../shared/json";

export type PaymentMethod = "CARD" | "ACH" | "CASH" | "CHECK" | "OTHER";
export type ContactMethod = "PHONE" | "EMAIL" | "VISIT" | "MESSAGE";

// `satisfies Record<...>` makes the compiler reject a list that misses or invents a member.
const PAYMENT_METHOD_SET = { CARD: true, ACH: true, CASH: true, CHECK: true, OTHER: true } satisfies Record<PaymentMethod, true>;
const CONTACT_METHOD_SET = { PHONE: true, EMAIL: true, VISIT: true, MESSAGE: true } satisfies Record<ContactMethod, true>;
export const PAYMENT_METHODS = Object.keys(PAYMENT_METHOD_SET) as readonly PaymentMethod[];
export const CONTACT_METHODS = Object.keys(CONTACT_METHOD_SET) as readonly ContactMethod[];

export type FamilyCommand =
  | {
      type: "EnrollFamily";
      payload: { familyId: string; familyName: string; enrollmentDate: string; parentName: string; email: string; phone: string | null };
    }
  | { type: "AddChild"; payload: { familyId: string; childName: string; birthDate: string } }
  | {
      type: "RecordPayment";
      payload: { familyId: string; amountCents: number; paidOn: string; dueOn: string | null; method: PaymentMethod; transactionId: string };
    }
  | { type: "UpdateEngagementScore"; payload: { familyId: string; score: number; factors: JsonValue | null } }
  | { type: "AssessRisk"; payload: { familyId: string; score: number; factors: JsonValue | null } }
  | { type: "RecordContact"; payload: { familyId: string; method: ContactMethod; contactedOn: string; note: string | null } }
  | { type: "AssignCoordinator"; payload: { familyId: string; coordinator: string } }
  | { type: "WithdrawFamily"; payload: { familyId: string; reason: string } };

export type FamilyCommandType = FamilyCommand["type"];

/** The command of one type, e.g. `FamilyCommandOf<"AddChild">`. */
export type FamilyCommandOf<T extends FamilyCommandType> = Extract<FamilyCommand, { type: T }>;

const COMMAND_TYPE_SET = {
  EnrollFamily: true,
  AddChild: true,
  RecordPayment: true,
  UpdateEngagementScore: true,
  AssessRisk: true,
  RecordContact: true,
  AssignCoordinator: true,
  WithdrawFamily: true,
} satisfies Record<FamilyCommandType, true>;
export const FAMILY_COMMAND_TYPES = Object.freeze(Object.keys(COMMAND_TYPE_SET)) as readonly FamilyCommandType[];
