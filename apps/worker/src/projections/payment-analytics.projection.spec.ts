import { describe, expect, it } from "vitest";
import type { FamilyEvent, PaymentMethod } from "@coop/domain";
import { recorded } from "../test-kit/events";
import { accumulatePayments, paymentFact } from "./payment-analytics.projection";

const A = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa";
const B = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb";

function paid(familyId: string, paidOn: string, dueOn: string | null, amountCents: number, method: PaymentMethod, position: number) {
  const event: FamilyEvent = { type: "PaymentReceived", data: { amountCents, paidOn, dueOn, method, transactionId: `t${position}` } };
  return recorded(event, { version: position, position, familyId });
}

describe("paymentFact", () => {
  it("files a payment under the first day of its month and measures lateness", () => {
    expect(paymentFact(paid(A, "2025-03-31", "2025-03-01", 100, "ACH", 1))).toMatchObject({ month: "2025-03-01", late: true, daysLate: 30 });
    expect(paymentFact(paid(A, "2025-03-01", "2025-03-01", 100, "ACH", 2))).toMatchObject({ late: false, daysLate: 0 });
    expect(paymentFact(paid(A, "2025-03-01", null, 100, "ACH", 3))).toMatchObject({ late: false, daysLate: 0 });
  });

  it("refuses any other event type", () => {
    expect(() => paymentFact(recorded({ type: "ChildAdded", data: {} }, { version: 1 }))).toThrow(/no reducer for event type ChildAdded/);
  });
});

describe("accumulatePayments", () => {
  it("adds counts, revenue, lateness and methods per month, and collects the paying families", () => {
    const deltas = accumulatePayments([
      paid(A, "2025-01-10", "2025-01-05", 1_000, "CARD", 1),
      paid(A, "2025-01-20", null, 500, "CARD", 2),
      paid(B, "2025-01-31", "2025-02-01", 250, "CASH", 3),
      paid(B, "2025-02-01", "2025-01-01", 100, "ACH", 4),
    ]);
    const january = deltas.months.get("tenant-1\u00002025-01-01");
    expect(january).toMatchObject({ paymentCount: 3, revenueCents: 1_750, paidOnTime: 2, paidLate: 1, totalDaysLate: 5 });
    expect(january!.updatedAt.toISOString()).toBe(recorded(paid(B, "2025-01-31", null, 1, "CASH", 3), { version: 3 }).recordedAt.toISOString());
    expect(deltas.months.get("tenant-1\u00002025-02-01")).toMatchObject({ paymentCount: 1, paidLate: 1, totalDaysLate: 31 });
    expect(deltas.methods.get("tenant-1\u00002025-01-01\u0000CARD")).toEqual({ tenantId: "tenant-1", month: "2025-01-01", method: "CARD", count: 2, amountCents: 1_500 });
    expect([...deltas.families.values()]).toEqual([
      ["tenant-1", "2025-01-01", A],
      ["tenant-1", "2025-01-01", B],
      ["tenant-1", "2025-02-01", B],
    ]);
  });
});
