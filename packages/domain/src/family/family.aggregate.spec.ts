import { describe, expect, it } from "vitest";
import { familyAggregate, type FamilyCommand } from "./family.aggregate";
import { cmd, CONTEXT, enrolled, ev, FAMILY_ID, given } from "./family.test-kit";

describe("familyAggregate", () => {
  it("describes the Family stream", () => {
    expect(familyAggregate.streamType).toBe("Family");
    expect(familyAggregate.stateSchemaVersion).toBe(2);
    expect(familyAggregate.eventSchemaVersions).toEqual({
      FamilyEnrolled: 2,
      ChildAdded: 1,
      PaymentReceived: 1,
      EngagementScoreUpdated: 1,
      RiskAssessed: 1,
      ContactRecorded: 1,
      CoordinatorAssigned: 1,
      FamilyWithdrawn: 1,
      CommentAdded: 1,
      FamilyForgotten: 1,
    });
    expect([...familyAggregate.commandTypes].sort()).toEqual(
      ["AddChild", "AddComment", "AssessRisk", "AssignCoordinator", "EnrollFamily", "ForgetFamily", "RecordContact", "RecordPayment", "UpdateEngagementScore", "WithdrawFamily"],
    );
  });

  it("hands out a fresh initial state each time", () => {
    const a = familyAggregate.initialState();
    const b = familyAggregate.initialState();
    expect(a).toEqual(b);
    expect(a).not.toBe(b);
    expect(a.paymentTransactionIds[0]).not.toBe(b.paymentTransactionIds[0]);
  });

  it("cannot be changed by a consumer", () => {
    expect(Object.isFrozen(familyAggregate)).toBe(true);
    expect(Object.isFrozen(familyAggregate.eventSchemaVersions)).toBe(true);
    expect(Object.isFrozen(familyAggregate.commandTypes)).toBe(true);
  });

  it("names the stream of each command from its payload", () => {
    for (const command of allCommands()) expect(familyAggregate.streamIdOf(command)).toBe(FAMILY_ID);
  });

  it("declares the personal fields of its events (CONTRACT section 8)", () => {
    expect(familyAggregate.personalData("FamilyEnrolled")).toEqual(["familyName", "guardians[].name", "guardians[].email", "guardians[].phone"]);
    expect(familyAggregate.personalData("ChildAdded")).toEqual(["childName", "birthDate"]);
    expect(familyAggregate.personalData("ContactRecorded")).toEqual(["note"]);
    expect(familyAggregate.personalData("FamilyWithdrawn")).toEqual(["reason"]);
    expect(familyAggregate.personalData("RiskAssessed")).toEqual(["factors"]);
    expect(familyAggregate.personalData("EngagementScoreUpdated")).toEqual(["factors"]);
    expect(familyAggregate.personalData("PaymentReceived")).toEqual([]);
    expect(familyAggregate.personalData("FamilyForgotten")).toEqual([]);
    expect(familyAggregate.personalData("CommentAdded")).toEqual(["body"]);
  });

  it("says where personal data sat in older schema versions, which are decrypted before they are upcast", () => {
    expect(familyAggregate.personalData("FamilyEnrolled", 1)).toEqual(["familyName", "parentName", "email", "phone"]);
    expect(familyAggregate.personalData("FamilyEnrolled", 2)).toEqual(familyAggregate.personalData("FamilyEnrolled"));
  });

  it("FamilyForgotten, alone, forgets the family (its append destroys the family's key)", () => {
    expect(familyAggregate.eventTypes.filter((type) => familyAggregate.forgetsSubject(type))).toEqual(["FamilyForgotten"]);
  });

  it("refuses to fold an event of another aggregate", () => {
    expect(() => familyAggregate.evolve(familyAggregate.initialState(), { type: "Nope", data: {} } as never)).toThrow(/Family has no event Nope/);
  });
});

function allCommands(): FamilyCommand[] {
  return [cmd.enroll(), cmd.addChild(), cmd.recordPayment(), cmd.updateEngagementScore(), cmd.assessRisk(), cmd.recordContact(), cmd.assignCoordinator(), cmd.withdraw(), cmd.addComment(), cmd.forget()];
}

describe("familyId, on every command", () => {
  it("every command is covered", () => {
    expect(allCommands().map((c) => c.type).sort()).toEqual([...familyAggregate.commandTypes].sort());
  });

  it.each(["", "not-a-uuid", "3f2c1a9e8b7d4c6e9f102a3b4c5d6e7f", "{3f2c1a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f}", ` ${FAMILY_ID}`, "3f2c1a9e-8b7d-4c6e-9f10-2a3b4c5d6e7g", 42, null])(
    "rejects %j",
    (familyId) => {
      for (const command of allCommands()) {
        given([]).when({ ...command, payload: { ...command.payload, familyId } } as FamilyCommand).thenRejects({ type: "InvalidInput", field: "familyId" });
      }
    },
  );

  it("accepts any version, in either case, and lower-cases it", () => {
    for (const familyId of ["00000000-0000-0000-0000-000000000000", FAMILY_ID.toUpperCase(), "01890a5d-ac96-774b-bcce-b302099a8057"]) {
      const decision = given([]).when(cmd.enroll({ familyId })).decision;
      expect(decision).toMatchObject({ ok: true, events: [{ data: { familyId: familyId.toLowerCase() } }] });
    }
  });
});

describe("every command but enrolment needs an enrolled family", () => {
  const others = () => allCommands().filter((c) => c.type !== "EnrollFamily");

  it("never enrolled: NotFound", () => {
    for (const command of others()) given([]).when(command).thenRejects({ type: "NotFound" });
  });

  it("withdrawn: refused FAMILY_WITHDRAWN (forgetting aside: a withdrawn family may still be forgotten)", () => {
    for (const command of others().filter((c) => c.type !== "ForgetFamily")) {
      given([...enrolled, ev.withdrawn()]).when(command).thenRejects({ type: "Refused", reason: "FAMILY_WITHDRAWN" });
    }
    given([...enrolled, ev.withdrawn()]).when(cmd.forget()).thenEvents([ev.forgotten()]);
  });

  it("forgotten: every command, enrolment and forgetting included, is refused FAMILY_FORGOTTEN (before FAMILY_WITHDRAWN)", () => {
    for (const history of [[...enrolled, ev.forgotten()], [...enrolled, ev.withdrawn(), ev.forgotten()]]) {
      for (const command of allCommands()) given(history).when(command).thenRejects({ type: "Refused", reason: "FAMILY_FORGOTTEN" });
    }
  });
});

describe("validate alone", () => {
  it("returns the normalised command and ignores state", () => {
    expect(familyAggregate.validate(cmd.recordContact({ familyId: FAMILY_ID, method: "MESSAGE", contactedOn: "2024-06-01", note: "  " }), CONTEXT)).toEqual({
      ok: true,
      value: { type: "RecordContact", payload: { familyId: FAMILY_ID, method: "MESSAGE", contactedOn: "2024-06-01", note: null } },
    });
  });

  it("returns the normalised factors as plain JSON", () => {
    const result = familyAggregate.validate(cmd.assessRisk({ factors: { a: undefined, b: [1, undefined] } }), CONTEXT);
    expect(result).toEqual({ ok: true, value: { type: "AssessRisk", payload: { familyId: FAMILY_ID, score: 72, factors: { b: [1, null] } } } });
  });
});
