import { describe, expect, it } from "vitest";
import { familyDecider } from "./family.decider";
import type { FamilyCommand } from "./family.commands";
import { cmd, ev, FAMILY_ID, given, OTHER_FAMILY_ID } from "./family.test-kit";

const enrolled = [ev.enrolled()];

describe("EnrollFamily", () => {
  it("enrolls a new family with the parent as its one guardian", () => {
    given([]).when(cmd.enroll()).thenEvents([
      {
        type: "FamilyEnrolled",
        data: {
          familyId: FAMILY_ID,
          familyName: "Rivera",
          enrollmentDate: "2024-06-01",
          guardians: [{ name: "Ana Rivera", email: "ana@example.org", phone: "+1 (555) 010-2030" }],
        },
      },
    ]);
  });

  it("writes trimmed values and a null phone when none is given", () => {
    given([])
      .when(cmd.enroll({ familyName: "  Rivera ", parentName: "\tAna Rivera\n", email: " Ana@Example.org ", phone: "   " }))
      .thenEvents([
        {
          type: "FamilyEnrolled",
          data: {
            familyId: FAMILY_ID,
            familyName: "Rivera",
            enrollmentDate: "2024-06-01",
            guardians: [{ name: "Ana Rivera", email: "Ana@Example.org", phone: null }],
          },
        },
      ]);
    expect(given([]).when(cmd.enroll({ phone: null })).decision).toMatchObject({
      ok: true,
      events: [{ data: { guardians: [{ phone: null }] } }],
    });
  });

  it("refuses an enrolled family", () => {
    given(enrolled).when(cmd.enroll()).thenRejects({ type: "Refused", reason: "ALREADY_ENROLLED" });
  });

  it("refuses a withdrawn family too", () => {
    given([...enrolled, ev.withdrawn()]).when(cmd.enroll()).thenRejects({ type: "Refused", reason: "ALREADY_ENROLLED" });
  });
});

describe("AddChild", () => {
  it("adds a child", () => {
    given(enrolled)
      .when(cmd.addChild({ childName: "  Leo ", birthDate: "2018-03-04" }))
      .thenEvents([{ type: "ChildAdded", data: { childName: "Leo", birthDate: "2018-03-04" } }]);
  });

  it("accepts a child born today", () => {
    given(enrolled)
      .when(cmd.addChild({ birthDate: "2024-06-15" }))
      .thenEvents([{ type: "ChildAdded", data: { childName: "Leo", birthDate: "2024-06-15" } }]);
  });
});

describe("RecordPayment", () => {
  it("records a payment", () => {
    given(enrolled)
      .when(cmd.recordPayment({ transactionId: " tx-1 " }))
      .thenEvents([
        {
          type: "PaymentReceived",
          data: { amountCents: 12_500, paidOn: "2024-06-10", dueOn: "2024-06-01", method: "CARD", transactionId: "tx-1" },
        },
      ]);
  });

  it("records a payment without a due date, for every method", () => {
    for (const method of ["CARD", "ACH", "CASH", "CHECK", "OTHER"] as const) {
      given(enrolled)
        .when(cmd.recordPayment({ dueOn: null, method }))
        .thenEvents([
          { type: "PaymentReceived", data: { amountCents: 12_500, paidOn: "2024-06-10", dueOn: null, method, transactionId: "tx-1" } },
        ]);
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
    given([...enrolled, ev.paymentReceived("tx-1")])
      .when(cmd.recordPayment({ transactionId: "tx-1" }))
      .thenRejects({ type: "Refused", reason: "DUPLICATE_TRANSACTION" });
    given([ev.enrolled({ familyId: OTHER_FAMILY_ID, familyName: "Okafor" })])
      .when(cmd.recordPayment({ familyId: OTHER_FAMILY_ID, transactionId: "tx-1" }))
      .thenEvents([
        {
          type: "PaymentReceived",
          data: { amountCents: 12_500, paidOn: "2024-06-10", dueOn: "2024-06-01", method: "CARD", transactionId: "tx-1" },
        },
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
});

describe("UpdateEngagementScore", () => {
  it("reports 0 as the previous score the first time", () => {
    given(enrolled)
      .when(cmd.updateEngagementScore({ score: 60, factors: { attendance: 0.8 } }))
      .thenEvents([{ type: "EngagementScoreUpdated", data: { score: 60, previousScore: 0, factors: { attendance: 0.8 } } }]);
  });

  it("reports the score before this one", () => {
    given([...enrolled, { type: "EngagementScoreUpdated", data: { score: 60, previousScore: 0, factors: null } }])
      .when(cmd.updateEngagementScore({ score: 45, factors: null }))
      .thenEvents([{ type: "EngagementScoreUpdated", data: { score: 45, previousScore: 60, factors: null } }]);
  });

  it("treats missing factors as null", () => {
    given(enrolled)
      .when(cmd.updateEngagementScore({ score: 0, factors: undefined }))
      .thenEvents([{ type: "EngagementScoreUpdated", data: { score: 0, previousScore: 0, factors: null } }]);
  });
});

describe("AssessRisk", () => {
  it("derives the tier and reports 0 as the previous score the first time", () => {
    given(enrolled)
      .when(cmd.assessRisk({ score: 72, factors: ["late payments"] }))
      .thenEvents([{ type: "RiskAssessed", data: { score: 72, tier: "HIGH", previousScore: 0, factors: ["late payments"] } }]);
  });

  it("reports the score before this one, not the engagement score", () => {
    given([
      ...enrolled,
      { type: "RiskAssessed", data: { score: 90, tier: "CRITICAL", previousScore: 0, factors: null } },
      { type: "EngagementScoreUpdated", data: { score: 10, previousScore: 0, factors: null } },
    ])
      .when(cmd.assessRisk({ score: 100, factors: null }))
      .thenEvents([{ type: "RiskAssessed", data: { score: 100, tier: "CRITICAL", previousScore: 90, factors: null } }]);
  });

  it("accepts scalar JSON factors", () => {
    given(enrolled)
      .when(cmd.assessRisk({ score: 0, factors: "none" }))
      .thenEvents([{ type: "RiskAssessed", data: { score: 0, tier: "LOW", previousScore: 0, factors: "none" } }]);
  });
});

describe("RecordContact", () => {
  it("records a contact with a trimmed note", () => {
    given(enrolled)
      .when(cmd.recordContact({ method: "VISIT", contactedOn: "2024-06-15", note: "  Home visit " }))
      .thenEvents([{ type: "ContactRecorded", data: { method: "VISIT", contactedOn: "2024-06-15", note: "Home visit" } }]);
  });

  it("stores an empty or missing note as null", () => {
    for (const note of ["", "   ", null, undefined]) {
      given(enrolled)
        .when(cmd.recordContact({ method: "EMAIL", note }))
        .thenEvents([{ type: "ContactRecorded", data: { method: "EMAIL", contactedOn: "2024-06-14", note: null } }]);
    }
  });
});

describe("AssignCoordinator", () => {
  it("reports null as the previous coordinator the first time", () => {
    given(enrolled)
      .when(cmd.assignCoordinator({ coordinator: " Sam Lee " }))
      .thenEvents([{ type: "CoordinatorAssigned", data: { coordinator: "Sam Lee", previousCoordinator: null } }]);
  });

  it("reports the coordinator before this one", () => {
    given([...enrolled, { type: "CoordinatorAssigned", data: { coordinator: "Sam Lee", previousCoordinator: null } }])
      .when(cmd.assignCoordinator({ coordinator: "Kim Park" }))
      .thenEvents([{ type: "CoordinatorAssigned", data: { coordinator: "Kim Park", previousCoordinator: "Sam Lee" } }]);
  });
});

describe("WithdrawFamily", () => {
  it("withdraws an enrolled family", () => {
    given(enrolled)
      .when(cmd.withdraw({ reason: " Moved away " }))
      .thenEvents([{ type: "FamilyWithdrawn", data: { reason: "Moved away" } }]);
  });
});

const nonEnrollCommands: [string, FamilyCommand][] = [
  ["AddChild", cmd.addChild()],
  ["RecordPayment", cmd.recordPayment()],
  ["UpdateEngagementScore", cmd.updateEngagementScore()],
  ["AssessRisk", cmd.assessRisk()],
  ["RecordContact", cmd.recordContact()],
  ["AssignCoordinator", cmd.assignCoordinator()],
  ["WithdrawFamily", cmd.withdraw()],
];

describe("state rules", () => {
  it("covers every non-enroll command type", () => {
    expect(nonEnrollCommands.map(([name]) => name).sort()).toEqual(
      familyDecider.commandTypes.filter((t) => t !== "EnrollFamily").sort(),
    );
  });

  it.each(nonEnrollCommands)("%s on a family never enrolled is NotFound", (_name, command) => {
    given([]).when(command).thenRejects({ type: "NotFound" });
  });

  it.each(nonEnrollCommands)("%s on a withdrawn family is refused FAMILY_WITHDRAWN", (_name, command) => {
    given([...enrolled, ev.withdrawn()]).when(command).thenRejects({ type: "Refused", reason: "FAMILY_WITHDRAWN" });
  });

  it("reports a withdrawn family before a duplicate transaction", () => {
    given([...enrolled, ev.paymentReceived("tx-1"), ev.withdrawn()])
      .when(cmd.recordPayment({ transactionId: "tx-1" }))
      .thenRejects({ type: "Refused", reason: "FAMILY_WITHDRAWN" });
  });
});

describe("error precedence: invalid input comes first", () => {
  it("reports invalid input on a withdrawn family", () => {
    given([...enrolled, ev.withdrawn()]).when(cmd.addChild({ childName: " " })).thenRejects({ type: "InvalidInput", field: "childName" });
  });

  it("reports invalid input on a family never enrolled", () => {
    given([]).when(cmd.recordPayment({ amountCents: 0 })).thenRejects({ type: "InvalidInput", field: "amountCents" });
  });

  it("reports invalid input on re-enrolment", () => {
    given(enrolled).when(cmd.enroll({ email: "nope" })).thenRejects({ type: "InvalidInput", field: "email" });
  });

  it("reports invalid input before a duplicate transaction", () => {
    given([...enrolled, ev.paymentReceived("tx-1")])
      .when(cmd.recordPayment({ transactionId: "tx-1", paidOn: "2024-06-16" }))
      .thenRejects({ type: "InvalidInput", field: "paidOn" });
  });
});

describe("purity", () => {
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
