// Value sets of the Family's commands and events.

export type PaymentMethod = "CARD" | "ACH" | "CASH" | "CHECK" | "OTHER";
export type ContactMethod = "PHONE" | "EMAIL" | "VISIT" | "MESSAGE";

// `satisfies Record<...>` makes the compiler reject a list that misses or invents a member.
const PAYMENT_METHOD_SET = { CARD: true, ACH: true, CASH: true, CHECK: true, OTHER: true } satisfies Record<PaymentMethod, true>;
const CONTACT_METHOD_SET = { PHONE: true, EMAIL: true, VISIT: true, MESSAGE: true } satisfies Record<ContactMethod, true>;
export const PAYMENT_METHODS = Object.keys(PAYMENT_METHOD_SET) as readonly PaymentMethod[];
export const CONTACT_METHODS = Object.keys(CONTACT_METHOD_SET) as readonly ContactMethod[];
