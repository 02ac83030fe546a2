import { describe, expect, it } from "vitest";
import { familyAggregate, type FamilyEvent } from "../family.aggregate";
import { cmd, FAMILY_ID, fold, given } from "../family.test-kit";
import type { FamilyEnrolledV1 } from "./family-enrolled.event";

const v1: FamilyEnrolledV1 = {
  familyId: FAMILY_ID,
  familyName: "Rivera",
  enrollmentDate: "2021-09-01",
  parentName: "Ana Rivera",
  email: "ana@example.org",
  phone: "555-0100",
};

describe("FamilyEnrolled upcasting", () => {
  it("turns a v1 FamilyEnrolled into v2 with the parent as the one guardian, and says it is v2 now", () => {
    expect(familyAggregate.upcast({ type: "FamilyEnrolled", schemaVersion: 1, data: v1 })).toEqual({
      type: "FamilyEnrolled",
      schemaVersion: 2,
      data: {
        familyId: FAMILY_ID,
        familyName: "Rivera",
        enrollmentDate: "2021-09-01",
        guardians: [{ name: "Ana Rivera", email: "ana@example.org", phone: "555-0100" }],
      },
    });
  });

  it("gives a missing v1 phone as null", () => {
    const { phone: _omitted, ...withoutPhone } = v1;
    const event = familyAggregate.upcast({ type: "FamilyEnrolled", schemaVersion: 1, data: withoutPhone });
    expect(event).toMatchObject({ data: { guardians: [{ phone: null }] } });
  });

  it("does not change the stored data", () => {
    const data = structuredClone(v1);
    familyAggregate.upcast({ type: "FamilyEnrolled", schemaVersion: 1, data });
    expect(data).toEqual(v1);
  });

  it("passes current-version events through unchanged", () => {
    const events: FamilyEvent[] = [
      { type: "FamilyEnrolled", data: { familyId: FAMILY_ID, familyName: "R", enrollmentDate: "2024-01-01", guardians: [] } },
      { type: "ChildAdded", data: { childName: "Leo", birthDate: "2018-03-04" } },
      { type: "FamilyWithdrawn", data: { reason: "Moved" } },
    ];
    for (const event of events) {
      const schemaVersion = familyAggregate.eventSchemaVersions[event.type];
      const upcast = familyAggregate.upcast({ ...event, schemaVersion });
      expect(upcast).toEqual({ ...event, schemaVersion });
      expect(upcast.data).toBe(event.data);
    }
  });

  it("a family enrolled under v1 then behaves like a v2 one", () => {
    const { schemaVersion: _v, ...enrolled } = familyAggregate.upcast({ type: "FamilyEnrolled", schemaVersion: 1, data: v1 });
    const state = fold([enrolled]);
    expect(state).toMatchObject({ status: "Enrolled", familyId: FAMILY_ID });
    given([enrolled]).when(cmd.enroll()).thenRejects({ type: "Refused", reason: "ALREADY_ENROLLED" });
    given([enrolled])
      .when(cmd.addChild({ childName: "Leo", birthDate: "2018-03-04" }))
      .thenEvents([{ type: "ChildAdded", data: { childName: "Leo", birthDate: "2018-03-04" } }]);
  });

  it("throws on an unknown event type", () => {
    expect(() => familyAggregate.upcast({ type: "FamilyRenamed", schemaVersion: 1, data: {} })).toThrow(/unknown event type "FamilyRenamed"/);
    expect(() => familyAggregate.upcast({ type: "constructor", schemaVersion: 1, data: {} })).toThrow(/unknown event type/);
  });

  it("throws on a schema version newer than the current one", () => {
    expect(() => familyAggregate.upcast({ type: "FamilyEnrolled", schemaVersion: 3, data: {} })).toThrow(/newer than the supported version 2/);
    expect(() => familyAggregate.upcast({ type: "ChildAdded", schemaVersion: 2, data: {} })).toThrow(/newer/);
  });

  it("throws on a nonsense schema version", () => {
    for (const schemaVersion of [0, -1, 1.5, Number.NaN]) {
      expect(() => familyAggregate.upcast({ type: "FamilyEnrolled", schemaVersion, data: v1 })).toThrow(/schema version/);
    }
  });

  it("throws on v1 data that is not an object", () => {
    expect(() => familyAggregate.upcast({ type: "FamilyEnrolled", schemaVersion: 1, data: null })).toThrow(/not an object/);
  });
});
