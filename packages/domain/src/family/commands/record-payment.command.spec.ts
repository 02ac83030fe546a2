import { describe, expect, it } from "vitest";
import { addDays } from "../../shared/validation";
import { accepts, checkCalendarDate, checkRequiredText, cmd, enrolled, ev, given, OTHER_FAMILY_ID, rejectsField, TODAY } from "../family.test-kit";

describe("RecordPayment", () => {
  it("records a payment", () => {
    given(enrolled)
      .when(cmd.recordPayment({ transactionId: " tx-1 " }))
      .thenEvents([
        { type: "PaymentReceived", data: { amountCents: 12_500, paidOn: "2024-06-10", dueOn: "2024-06-01", method: "CARD", transactionId: "tx-1" } },
      ]);
  });

  it("records a payment without a due date, for every method", () => {
    for (const method of ["CARD", "ACH", "CASH", "CHECK", "OTHER"] as const) {
      given(enrolled)
        .when(cmd.recordPayment({ dueOn: null, method }))
        .thenEvents([{ type: "PaymentReceived", data: { amountCents: 12_500, paidOn: "2024-06-10", dueOn: null, method, transactionId: "tx-1" } }]);
    }
  });

  it("refuses a transaction id already recorded for the family (compared after trimming)", () => {
    const history = [...enrolled, ev.paymentReceived("tx-1"), ev.paymentReceived("tx-2")];
    given(history).when(cmd.recordPayment({ transactionId: "tx-1" })).thenRejects({ type: "Refused", reason: "DUPLICATE_TRANSACTION" });
    given(history).when(cmd.recordPayment({ transactionId: "  tx-2\t" })).thenRejects({ type: "Refused", reason: "DUPLICATE_TRANSACTION" });
  });

  it("matches transaction ids exactly (case matters)", () => {
    expect(given([...enrolled, ev.paymentReceived("tx-1")]).when(cmd.recordPayment({ transactionId: "TX-1" })).decision.ok).toBe(true);
  });

  it("accepts an id that another family already used", () => {
    // Family A already recorded tx-1; family B is its own stream and state, so tx-1 is new there.
    given([...enrolled, ev.paymentReceived("tx-1")]).when(cmd.recordPayment({ transactionId: "tx-1" })).thenRejects({ type: "Refused", reason: "DUPLICATE_TRANSACTION" });
    given([ev.enrolled({ familyId: OTHER_FAMILY_ID, familyName: "Okafor" })])
      .when(cmd.recordPayment({ familyId: OTHER_FAMILY_ID, transactionId: "tx-1" }))
      .thenEvents([
        { type: "PaymentReceived", data: { amountCents: 12_500, paidOn: "2024-06-10", dueOn: "2024-06-01", method: "CARD", transactionId: "tx-1" } },
      ]);
  });

  it("still finds duplicates among thousands of payments", () => {
    const history = [...enrolled, ...Array.from({ length: 2_000 }, (_, i) => ev.paymentReceived(`tx-${i}`))];
    const family = given(history);
    for (const id of ["tx-0", "tx-1", "tx-999", "tx-1999"]) {
      family.when(cmd.recordPayment({ transactionId: id })).thenRejects({ type: "Refused", reason: "DUPLICATE_TRANSACTION" });
    }
    expect(family.when(cmd.recordPayment({ transactionId: "tx-2000" })).decision.ok).toBe(true);
  });

  it("reports a withdrawn family before a duplicate transaction", () => {
    given([...enrolled, ev.paymentReceived("tx-1"), ev.withdrawn()])
      .when(cmd.recordPayment({ transactionId: "tx-1" }))
      .thenRejects({ type: "Refused", reason: "FAMILY_WITHDRAWN" });
  });

  it("reports invalid input first: on a family never enrolled, and before a duplicate transaction", () => {
    given([]).when(cmd.recordPayment({ amountCents: 0 })).thenRejects({ type: "InvalidInput", field: "amountCents" });
    given([...enrolled, ev.paymentReceived("tx-1")])
      .when(cmd.recordPayment({ transactionId: "tx-1", paidOn: "2024-06-16" }))
      .thenRejects({ type: "InvalidInput", field: "paidOn" });
  });

  it("does not touch the state or the command", () => {
    const family = given([...enrolled, ev.paymentReceived("tx-1")]);
    const stateBefore = structuredClone(family.state);
    const command = cmd.recordPayment({ transactionId: " tx-2 " });
    const commandBefore = structuredClone(command);
    family.when(command);
    expect(family.state).toEqual(stateBefore);
    expect(command).toEqual(commandBefore);
  });
});

describe("RecordPayment input", () => {
  it.each([0, -1, 10_000_001, 12.5, Number.NaN, Number.POSITIVE_INFINITY, "100", null])("amountCents: rejects %j", (amountCents) =>
    rejectsField(cmd.recordPayment({ amountCents }), "amountCents"),
  );
  it.each([1, 10_000_000])("amountCents: accepts %j", (amountCents) => accepts(cmd.recordPayment({ amountCents })));

  it("paidOn: a real date, today at the latest (UTC)", () => {
    checkCalendarDate("paidOn", (v) => cmd.recordPayment({ paidOn: v }));
    accepts(cmd.recordPayment({ paidOn: TODAY }));
    rejectsField(cmd.recordPayment({ paidOn: addDays(TODAY, 1) }), "paidOn");
  });

  it("dueOn: any real date, or null", () => {
    checkCalendarDate("dueOn", (v) => cmd.recordPayment({ dueOn: v }));
    accepts(cmd.recordPayment({ dueOn: "2099-12-31" }));
    accepts(cmd.recordPayment({ dueOn: "1999-01-01" }));
    accepts(cmd.recordPayment({ dueOn: null }));
    accepts(cmd.recordPayment({ dueOn: undefined }));
  });

  it("method must be a PaymentMethod", () => {
    for (const method of ["card", "PHONE", "", null]) rejectsField(cmd.recordPayment({ method }), "method");
  });

  it("transactionId: 1..100 characters after trimming", () => {
    checkRequiredText("transactionId", 100, (v) => cmd.recordPayment({ transactionId: v }));
  });

  it("reports the first bad field, in declaration order", () => {
    rejectsField(cmd.recordPayment({ familyId: "x", amountCents: 0 }), "familyId");
    rejectsField(cmd.recordPayment({ amountCents: 0, paidOn: "x" }), "amountCents");
    rejectsField(cmd.recordPayment({ paidOn: "x", dueOn: "x" }), "paidOn");
    rejectsField(cmd.recordPayment({ dueOn: "x", method: "x" }), "dueOn");
    rejectsField(cmd.recordPayment({ method: "x", transactionId: "" }), "method");
  });
});
