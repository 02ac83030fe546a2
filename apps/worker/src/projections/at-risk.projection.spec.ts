import { describe, expect, it } from "vitest";
import type { FamilyEvent } from "@coop/domain";
import { enrolled, recorded } from "../test-kit/events";
import { evolveAtRisk, type AtRiskRow } from "./at-risk.projection";

function fold(events: FamilyEvent[]): AtRiskRow | null {
  let row: AtRiskRow | null = null;
  events.forEach((e, i) => {
    row = evolveAtRisk(row, recorded(e, { version: i + 1 }));
  });
  return row;
}

describe("evolveAtRisk", () => {
  it("lists an enrolled family at risk 0, LOW, never contacted", () => {
    expect(fold([enrolled()])).toMatchObject({
      familyName: "Martinez family",
      riskScore: 0,
      riskTier: "LOW",
      riskFactors: null,
      neverContacted: true,
      lastContactDate: null,
      assignedCoordinator: null,
    });
  });

  it("follows risk, contacts (latest date whatever the order) and the coordinator", () => {
    const row = fold([
      enrolled(),
      { type: "RiskAssessed", data: { score: 91, tier: "CRITICAL", previousScore: 0, factors: { reasons: ["health"] } } },
      { type: "ContactRecorded", data: { method: "EMAIL", contactedOn: "2025-05-05", note: null } },
      { type: "ContactRecorded", data: { method: "PHONE", contactedOn: "2025-01-01", note: null } },
      { type: "CoordinatorAssigned", data: { coordinator: "kim", previousCoordinator: null } },
    ]);
    expect(row).toMatchObject({
      riskScore: 91,
      riskTier: "CRITICAL",
      riskFactors: { reasons: ["health"] },
      neverContacted: false,
      lastContactDate: "2025-05-05",
      assignedCoordinator: "kim",
    });
    expect(row!.updatedAt.toISOString()).toBe(recorded(enrolled(), { version: 5 }).recordedAt.toISOString());
  });

  it("drops a withdrawn family", () => {
    expect(fold([enrolled(), { type: "FamilyWithdrawn", data: { reason: "moved" } }])).toBeNull();
  });

  it("refuses an event for a family it does not list", () => {
    expect(() =>
      evolveAtRisk(null, recorded({ type: "CoordinatorAssigned", data: { coordinator: "x", previousCoordinator: null } }, { version: 3 })),
    ).toThrow(/no row/);
  });

  it("refuses types it has no reducer for (e.g. one it does not list)", () => {
    const row = fold([enrolled()]);
    expect(() => evolveAtRisk(row, recorded({ type: "ChildAdded", data: { childName: "A", birthDate: "2020-01-01" } }, { version: 2 }))).toThrow(
      /no reducer for event type ChildAdded/,
    );
  });
});

describe("evolveAtRisk, forgetting", () => {
  it("a forgotten family leaves the list, whether it was enrolled or already withdrawn", () => {
    const risk: FamilyEvent = { type: "RiskAssessed", data: { score: 90, tier: "CRITICAL", previousScore: 0, factors: { a: 1 } } };
    expect(fold([enrolled(), risk, { type: "FamilyForgotten", data: {} }])).toBeNull();
    expect(fold([enrolled(), { type: "FamilyWithdrawn", data: { reason: "moved" } }, { type: "FamilyForgotten", data: {} }])).toBeNull();
  });
});
