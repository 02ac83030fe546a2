import { describe, expect, it } from "vitest";
import type { RecordedEvent } from "@coop/event-store";
import { enrolled, recorded } from "../test-kit/events";
import { caseloadDelta, evolveAssignment, evolveCoordinator, type AssignmentRow } from "./coordinator-caseload.projection";

const family = (type: string, data: unknown, version: number, familyId = "f-1"): RecordedEvent => recorded({ type, data }, { version, familyId });
const assign = (coordinator: string, version: number, familyId?: string) => family("CoordinatorAssigned", { coordinator, previousCoordinator: null }, version, familyId);

function foldAssignment(events: RecordedEvent[]): AssignmentRow {
  return events.reduce<AssignmentRow | null>((row, e) => evolveAssignment(row, e), null)!;
}

describe("coordinator-caseload", () => {
  it("keeps a coordinator's name and limit, following its stream's version", () => {
    const registered = { ...recorded({ type: "CoordinatorRegistered", data: { coordinatorId: "c-1", name: "Sam", caseloadLimit: 3 } }, { version: 1, familyId: "c-1" }), streamType: "Coordinator" };
    const row = evolveCoordinator(null, registered);
    expect(row).toMatchObject({ coordinatorId: "c-1", name: "Sam", caseloadLimit: 3, version: 1 });
    const limited = evolveCoordinator(row, { ...recorded({ type: "CaseloadLimitSet", data: { caseloadLimit: 9, previousLimit: 3 } }, { version: 2, familyId: "c-1" }), streamType: "Coordinator" });
    expect(limited).toMatchObject({ name: "Sam", caseloadLimit: 9, version: 2 });
    expect(() => evolveCoordinator(row, registered)).toThrow(/already has a row/);
  });

  it("a family counts towards its assigned coordinator while it is enrolled", () => {
    const deltas = new Map<string, number>();
    const none = foldAssignment([family("FamilyEnrolled", enrolled().data, 1)]);
    const sam = foldAssignment([family("FamilyEnrolled", enrolled().data, 1), assign("Sam", 2)]);
    const kim = evolveAssignment(sam, assign("Kim", 3));
    const gone = evolveAssignment(kim, family("FamilyWithdrawn", { reason: "moved" }, 4));

    caseloadDelta(null, none, deltas);
    expect([...deltas]).toEqual([]);
    caseloadDelta(none, sam, deltas);
    caseloadDelta(sam, kim, deltas);
    expect(Object.fromEntries([...deltas].map(([k, v]) => [k.split("\u0000")[1], v]))).toEqual({ Sam: 0, Kim: 1 });
    caseloadDelta(kim, gone, deltas);
    expect(deltas.get("tenant-1\u0000Kim")).toBe(0);
    // Reassigning after withdrawal changes nobody's caseload.
    const after = evolveAssignment(gone, assign("Lee", 5));
    const more = new Map<string, number>();
    caseloadDelta(gone, after, more);
    expect([...more]).toEqual([]);
  });

  it("a forgotten family no longer counts towards its coordinator's caseload", () => {
    const sam = foldAssignment([family("FamilyEnrolled", enrolled().data, 1), assign("Sam", 2)]);
    const forgotten = evolveAssignment(sam, family("FamilyForgotten", {}, 3));
    expect(forgotten).toMatchObject({ enrolled: false, version: 3 });
    const deltas = new Map<string, number>();
    caseloadDelta(sam, forgotten, deltas);
    expect(deltas.get("tenant-1\u0000Sam")).toBe(-1);
  });

  it("refuses an event it cannot place", () => {
    expect(() => evolveAssignment(null, assign("Sam", 2))).toThrow(/no row/);
    expect(() => evolveAssignment(null, family("ChildAdded", {}, 2))).toThrow(/no reducer/);
  });
});
