// Run by hand: `pnpm exec vitest bench --run` (not part of `vitest run`, and no timing asserts).
// Folds one stream of 10,000 events, as the replay benchmark does after reading them.
import { bench, describe } from "vitest";
import { familyAggregate, type FamilyEvent } from "./family.aggregate";
import { ev } from "./family.test-kit";

const payments: FamilyEvent[] = [ev.enrolled()];
for (let i = 0; i < 9_999; i++) payments.push(ev.paymentReceived(`txn-${i}`));

const mixed: FamilyEvent[] = [ev.enrolled()];
for (let i = 0; i < 9_999; i++) {
  mixed.push(
    i % 4 === 0
      ? ev.paymentReceived(`txn-${i}`)
      : i % 4 === 1
        ? { type: "RiskAssessed", data: { score: i % 101, tier: "LOW", previousScore: 0, factors: null } }
        : i % 4 === 2
          ? { type: "ContactRecorded", data: { method: "PHONE", contactedOn: "2024-06-14", note: null } }
          : { type: "ChildAdded", data: { childName: "Leo", birthDate: "2018-03-04" } },
  );
}

const stored = payments.map((event) => ({ ...event, schemaVersion: familyAggregate.eventSchemaVersions[event.type] }));

describe("fold 10,000 events", () => {
  bench("10,000 PaymentReceived", () => {
    payments.reduce(familyAggregate.evolve, familyAggregate.initialState());
  });
  bench("10,000 mixed events", () => {
    mixed.reduce(familyAggregate.evolve, familyAggregate.initialState());
  });
  bench("upcast + fold 10,000 stored PaymentReceived", () => {
    let state = familyAggregate.initialState();
    for (const row of stored) state = familyAggregate.evolve(state, familyAggregate.upcast(row));
  });
});
