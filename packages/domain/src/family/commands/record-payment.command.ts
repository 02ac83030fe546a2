import { emit, refuse } from "../../shared/aggregate";
import { calendarDate, integerInRange, oneOf, pastOrToday, requireCalendarDate, trimmedText, uuid } from "../../shared/validation";
import { paymentReceived } from "../events/payment-received.event";
import { familyCommand, inactiveFamily } from "../family.kit";
import { hasTransactionId } from "../family.state";
import { PAYMENT_METHODS, type PaymentMethod } from "../family.values";

export interface RecordPaymentPayload {
  familyId: string;
  amountCents: number;
  paidOn: string;
  dueOn: string | null;
  method: PaymentMethod;
  transactionId: string;
}

const AMOUNT_CENTS_MAX = 10_000_000;
const TRANSACTION_ID_MAX = 100;

export const recordPayment = familyCommand({
  type: "RecordPayment",
  emits: [paymentReceived],
  streamId: (p: RecordPaymentPayload) => p.familyId,
  validate(p: RecordPaymentPayload, context) {
    const today = requireCalendarDate(context.today, "context.today");
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
      value: { familyId: familyId.value, amountCents: amountCents.value, paidOn: paidOn.value.text, dueOn, method: method.value, transactionId: transactionId.value },
    };
  },
  decide(p, state) {
    const inactive = inactiveFamily(state, p.familyId);
    if (inactive) return inactive;
    if (hasTransactionId(state, p.transactionId)) {
      return refuse("DUPLICATE_TRANSACTION", `Transaction ${p.transactionId} is already recorded for family ${p.familyId}`);
    }
    return emit(paymentReceived, { amountCents: p.amountCents, paidOn: p.paidOn, dueOn: p.dueOn, method: p.method, transactionId: p.transactionId });
  },
});
