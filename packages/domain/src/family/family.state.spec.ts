import { describe, expect, it } from "vitest";
import { familyAggregate, type FamilyEvent } from "./family.aggregate";
import { hasTransactionId, initialFamilyState, isValidFamilyState, TRANSACTION_ID_BUCKETS, transactionIdBucket, type FamilyState } from "./family.state";
import { ev, FAMILY_ID, fold } from "./family.test-kit";

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

const history: FamilyEvent[] = [
  ev.enrolled(),
  { type: "ChildAdded", data: { childName: "Leo", birthDate: "2018-03-04" } },
  { type: "ChildAdded", data: { childName: "Mia", birthDate: "2020-07-01" } },
  ev.paymentReceived("tx-1"),
  { type: "EngagementScoreUpdated", data: { score: 60, previousScore: 0, factors: null } },
  { type: "RiskAssessed", data: { score: 72, tier: "HIGH", previousScore: 0, factors: { late: 2 } } },
  { type: "ContactRecorded", data: { method: "PHONE", contactedOn: "2024-06-14", note: null } },
  { type: "CoordinatorAssigned", data: { coordinator: "Sam Lee", previousCoordinator: null } },
];

describe("evolve", () => {
  it("starts with nothing enrolled", () => {
    const state = familyAggregate.initialState();
    expect(state).toMatchObject({ status: "None", familyId: null, engagementScore: 0, riskScore: 0, coordinator: null, childrenCount: 0, paymentCount: 0 });
    expect(state.paymentTransactionIds).toHaveLength(TRANSACTION_ID_BUCKETS);
  });

  it("applies each event, keeping nothing personal in the state", () => {
    const state = fold(history);
    expect(state).toMatchObject({ status: "Enrolled", familyId: FAMILY_ID, engagementScore: 60, riskScore: 72, coordinator: "Sam Lee", childrenCount: 2, paymentCount: 1 });
    expect(JSON.stringify(state)).not.toMatch(/Rivera|Leo|Mia|example\.org/);
    expect(hasTransactionId(state, "tx-1")).toBe(true);
    expect(hasTransactionId(state, "tx-2")).toBe(false);
    expect(fold([ev.withdrawn()], state).status).toBe("Withdrawn");
  });

  it("never mutates the state it is given", () => {
    const states: FamilyState[] = [deepFreeze(familyAggregate.initialState())];
    // Frozen inputs make any in-place write throw (modules run in strict mode).
    for (const event of [...history, ev.paymentReceived("tx-2"), ev.withdrawn()]) {
      const before = states[states.length - 1]!;
      const snapshot = structuredClone(before);
      states.push(deepFreeze(familyAggregate.evolve(before, deepFreeze(event))));
      expect(before).toEqual(snapshot);
    }
  });

  it("shares untouched transaction-id buckets between states", () => {
    const before = fold([ev.enrolled(), ev.paymentReceived("tx-1")]);
    const after = familyAggregate.evolve(before, ev.paymentReceived("tx-2"));
    const touched = transactionIdBucket("tx-2");
    after.paymentTransactionIds.forEach((bucket, i) => {
      if (i === touched) expect(bucket).not.toBe(before.paymentTransactionIds[i]);
      else expect(bucket).toBe(before.paymentTransactionIds[i]);
    });
  });

  it("round-trips through JSON, as snapshots do", () => {
    const state = fold([...history, ev.paymentReceived("tx-2")]);
    const restored = JSON.parse(JSON.stringify(state)) as FamilyState;
    expect(restored).toEqual(state);
    expect(hasTransactionId(restored, "tx-2")).toBe(true);
  });

  it("folds 10,000 payments into the right state", () => {
    const events: FamilyEvent[] = [ev.enrolled()];
    for (let i = 0; i < 10_000; i++) events.push(ev.paymentReceived(`txn-${i}`, 100 + i));
    const state = fold(events);

    expect(state.paymentCount).toBe(10_000);
    const all = state.paymentTransactionIds.flat();
    expect(all).toHaveLength(10_000);
    expect(new Set(all).size).toBe(10_000);
    for (const id of ["txn-0", "txn-4242", "txn-9999"]) expect(hasTransactionId(state, id)).toBe(true);
    expect(hasTransactionId(state, "txn-10000")).toBe(false);
    // The hash spreads sequential ids: no bucket holds more than twice its fair share.
    const largest = Math.max(...state.paymentTransactionIds.map((bucket) => bucket.length));
    expect(largest).toBeLessThan((2 * 10_000) / TRANSACTION_ID_BUCKETS);
    // Ids stay in recording order within a bucket.
    for (const bucket of state.paymentTransactionIds) {
      const numbers = bucket.map((id) => Number(id.slice(4)));
      expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    }
    expect(initialFamilyState().paymentTransactionIds.flat()).toEqual([]);
  });
});

describe("isValidFamilyState (what a snapshot must pass to be used)", () => {
  const good = () => JSON.parse(JSON.stringify(fold([...history, ev.paymentReceived("tx-2")]))) as FamilyState;

  it("accepts states that evolve produces, and the initial state", () => {
    expect(isValidFamilyState(good())).toBe(true);
    expect(isValidFamilyState(initialFamilyState())).toBe(true);
    expect(isValidFamilyState(fold([ev.enrolled(), ev.withdrawn()]))).toBe(true);
  });

  it("refuses a state whose payments do not add up (transaction ids emptied or moved)", () => {
    const emptied = good();
    emptied.paymentTransactionIds = emptied.paymentTransactionIds.map(() => []);
    expect(isValidFamilyState(emptied)).toBe(false);
    const moved = good();
    const from = transactionIdBucket("tx-1");
    moved.paymentTransactionIds[from] = moved.paymentTransactionIds[from]!.filter((id) => id !== "tx-1");
    moved.paymentTransactionIds[(from + 1) % TRANSACTION_ID_BUCKETS]!.push("tx-1");
    expect(isValidFamilyState(moved)).toBe(false);
  });

  it("refuses anything not shaped like a state", () => {
    const broken = [null, {}, [], "state", { ...good(), status: "Gone" }, { ...good(), familyId: null }, { ...good(), riskScore: 101 }, { ...good(), paymentCount: -1 }, { ...good(), paymentTransactionIds: [] }];
    for (const state of broken) expect(isValidFamilyState(state)).toBe(false);
  });
});
