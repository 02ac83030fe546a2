import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { familyAggregate } from "@coop/domain";
import { projections } from "@coop/worker/projections";
import { EVENTS_PER_FAMILY, familyHistory } from "./family-history";

describe("the benchmarks' family history", () => {
  it("is a history the family aggregate accepts, ten events a family", () => {
    for (let i = 0; i < 12; i++) {
      const history = familyHistory(i, randomUUID());
      expect(history).toHaveLength(EVENTS_PER_FAMILY);
      expect(history[0]!.type).toBe("FamilyEnrolled");
      let state = familyAggregate.initialState();
      for (const event of history) state = familyAggregate.evolve(state, event);
      expect(state).not.toEqual(familyAggregate.initialState());
    }
  });

  it("gives every projection events to apply, so that each one's CPU per event can be measured", () => {
    const types = new Set<string>(Array.from({ length: 12 }, (_, i) => familyHistory(i, randomUUID()).map((e) => e.type)).flat());
    for (const projection of projections) {
      expect(projection.handles.some((type) => types.has(type)), projection.name).toBe(true);
    }
  });

  it("never repeats a payment's transaction id within a family (the duplicate rule would refuse it)", () => {
    const ids = familyHistory(7, randomUUID()).flatMap((e) => (e.type === "PaymentReceived" ? [e.data.transactionId] : []));
    expect(ids.length).toBeGreaterThan(1);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
