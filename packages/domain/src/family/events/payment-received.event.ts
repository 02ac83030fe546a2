import type { PaymentMethod } from "../family.values";
import { copyFamilyState, withTransactionId } from "../family.state";
import { familyEvent } from "../family.kit";

export interface PaymentReceivedData {
  amountCents: number;
  paidOn: string;
  dueOn: string | null;
  method: PaymentMethod;
  transactionId: string;
}

export const paymentReceived = familyEvent({
  type: "PaymentReceived",
  schemaVersion: 1,
  evolve(state, data: PaymentReceivedData) {
    const next = copyFamilyState(state);
    next.paymentCount = state.paymentCount + 1;
    next.paymentTransactionIds = withTransactionId(state.paymentTransactionIds, data.transactionId);
    return next;
  },
});
