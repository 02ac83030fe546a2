import { describe, expect, it } from "vitest";
import type { FamilyEvent } from "@coop/domain";
import { enrolled, recorded } from "../test-kit/events";
import { evolveFamilyView, type FamilyViewRow } from "./family-detail.projection";

function fold(events: (FamilyEvent | { type: string; data: unknown })[]): FamilyViewRow {
  let row: FamilyViewRow | null = null;
  events.forEach((e, i) => {
    row = evolveFamilyView(row, recorded(e, { version: i + 1 }));
  });
  return row!;
}

const payment = (paidOn: string, dueOn: string | null, amountCents = 1_000, transactionId = paidOn): FamilyEvent => ({
  type: "PaymentReceived",
  data: { amountCents, paidOn, dueOn, method: "CARD", transactionId },
});

describe("evolveFamilyView", () => {
  it("creates the row on enrollment from the first guardian", () => {
    const row = evolveFamilyView(null, recorded(enrolled(), { version: 1, recordedAt: "2026-02-03T04:05:06.789Z" }));
    expect(row).toMatchObject({
      familyName: "Martinez family",
      status: "ENROLLED",
      enrollmentDate: "2025-09-01",
      parentName: "Maria Martinez",
      email: "maria@example.org",
      phone: "+1 555-0100",
      children: [],
      childrenCount: 0,
      oldestChildBirthDate: null,
      totalPaidCents: 0,
      paymentCount: 0,
      engagementScore: 0,
      riskScore: 0,
      riskTier: "LOW",
      riskFactors: null,
      searchText: "Martinez family",
      version: 1,
    });
    expect(row.guardians).toHaveLength(2);
    expect(row.updatedAt.toISOString()).toBe("2026-02-03T04:05:06.789Z");
  });

  it("appends children in order, tracks the earliest birth date and the search text", () => {
    const row = fold([
      enrolled(),
      { type: "ChildAdded", data: { childName: "Lucia", birthDate: "2015-05-01" } },
      { type: "ChildAdded", data: { childName: "Pablo", birthDate: "2012-01-09" } },
      { type: "ChildAdded", data: { childName: "Ines", birthDate: "2019-12-31" } },
    ]);
    expect(row.children).toEqual([
      { name: "Lucia", birthDate: "2015-05-01" },
      { name: "Pablo", birthDate: "2012-01-09" },
      { name: "Ines", birthDate: "2019-12-31" },
    ]);
    expect(row.childrenCount).toBe(3);
    expect(row.oldestChildBirthDate).toBe("2012-01-09");
    expect(row.searchText).toBe("Martinez family\nLucia\nPablo\nInes");
    expect(row.version).toBe(4);
  });

  it("totals payments, keeps the latest paidOn whatever the order, and counts late days", () => {
    const row = fold([
      enrolled(),
      payment("2025-03-10", "2025-03-01", 500, "a"), // 9 days late
      payment("2025-01-05", null, 700, "b"), // no due date: on time
      payment("2025-02-01", "2025-02-01", 300, "c"), // on the day: on time
      payment("2025-02-20", "2025-02-10", 100, "d"), // 10 days late
    ]);
    expect(row.totalPaidCents).toBe(1_600);
    expect(row.paymentCount).toBe(4);
    expect(row.lastPaymentDate).toBe("2025-03-10");
    expect(row.latePaymentCount).toBe(2);
    expect(row.totalDaysLate).toBe(19);
  });

  it("counts days late across months and leap days", () => {
    const row = fold([enrolled(), payment("2024-03-01", "2024-02-28")]);
    expect(row.totalDaysLate).toBe(2);
  });

  it("sets scores, risk tier and factors, coordinator, latest contact, and withdrawal", () => {
    const row = fold([
      enrolled(),
      { type: "EngagementScoreUpdated", data: { score: 55, previousScore: 0, factors: null } },
      { type: "RiskAssessed", data: { score: 88, tier: "CRITICAL", previousScore: 0, factors: { reasons: ["housing"] } } },
      { type: "ContactRecorded", data: { method: "PHONE", contactedOn: "2025-06-01", note: null } },
      { type: "ContactRecorded", data: { method: "VISIT", contactedOn: "2025-04-01", note: "late entry" } },
      { type: "CoordinatorAssigned", data: { coordinator: "sam", previousCoordinator: null } },
      { type: "RiskAssessed", data: { score: 72, tier: "HIGH", previousScore: 88, factors: null } },
      { type: "FamilyWithdrawn", data: { reason: "moved" } },
    ]);
    expect(row).toMatchObject({
      engagementScore: 55,
      riskScore: 72,
      riskTier: "HIGH",
      riskFactors: null,
      lastContactDate: "2025-06-01",
      assignedCoordinator: "sam",
      status: "WITHDRAWN",
      version: 8,
    });
  });

  it("does not mutate the row it is given", () => {
    const row = fold([enrolled()]);
    const copy = structuredClone(row);
    evolveFamilyView(row, recorded({ type: "ChildAdded", data: { childName: "A", birthDate: "2020-01-01" } }, { version: 2 }));
    expect(row).toEqual(copy);
  });

  it("applies only events newer than the row's version: one it already holds changes nothing", () => {
    const child = { type: "ChildAdded", data: { childName: "A", birthDate: "2020-01-01" } } as const;
    const row = evolveFamilyView(fold([enrolled()]), recorded(child, { version: 2 }));
    expect(evolveFamilyView(row, recorded(child, { version: 2 }))).toBe(row);
    expect(evolveFamilyView(row, recorded(child, { version: 1 }))).toBe(row);
    // A skipped event (an operator's skip) leaves a gap: the next one still applies.
    expect(evolveFamilyView(row, recorded(child, { version: 4 }))).toMatchObject({ version: 4, childrenCount: 2 });
  });

  it("refuses an event for a family without a row, and a second enrollment", () => {
    expect(() => evolveFamilyView(null, recorded({ type: "FamilyWithdrawn", data: { reason: "x" } }, { version: 2 }))).toThrow(/no row/);
    const row = fold([enrolled()]);
    expect(() => evolveFamilyView(row, recorded(enrolled(), { version: 2 }))).toThrow(/already has a row/);
  });

  it("follows the stream: an event of a type it does not handle only moves the version", () => {
    const row = fold([enrolled()]);
    const next = evolveFamilyView(row, recorded({ type: "CommentAdded", data: { commentId: "c", body: "b", author: "a" } }, { version: 2, recordedAt: "2026-05-06T07:08:09.000Z" }));
    expect(next).toEqual({ ...row, version: 2, updatedAt: new Date("2026-05-06T07:08:09.000Z") });
  });
});

describe("evolveFamilyView, forgetting", () => {
  const history: FamilyEvent[] = [
    enrolled(),
    { type: "ChildAdded", data: { childName: "Leo", birthDate: "2018-03-04" } },
    payment("2026-01-10", "2026-01-01", 2_500),
    { type: "EngagementScoreUpdated", data: { score: 61, previousScore: 0, factors: null } },
    { type: "RiskAssessed", data: { score: 72, tier: "HIGH", previousScore: 0, factors: { late: 2 } } },
    { type: "CoordinatorAssigned", data: { coordinator: "Sam Lee", previousCoordinator: null } },
  ];

  it("FamilyForgotten erases every personal field and keeps totals, scores and the children's count", () => {
    const row = fold([...history, { type: "FamilyForgotten", data: {} }]);
    expect(row).toMatchObject({
      status: "FORGOTTEN",
      familyName: "(erased)",
      parentName: "(erased)",
      email: "(erased)",
      phone: null,
      guardians: [
        { name: "(erased)", email: "(erased)", phone: null },
        { name: "(erased)", email: "(erased)", phone: null },
      ],
      children: [],
      childrenCount: 1,
      oldestChildBirthDate: null,
      riskFactors: null,
      searchText: "",
      totalPaidCents: 2_500,
      paymentCount: 1,
      latePaymentCount: 1,
      engagementScore: 61,
      riskScore: 72,
      riskTier: "HIGH",
      assignedCoordinator: "Sam Lee",
      enrollmentDate: "2025-09-01",
      version: 7,
    });
    expect(JSON.stringify(row)).not.toMatch(/Martinez|Maria|Leo|2018-03-04|example\.org|"late"/);
  });

  it("a rebuild from events read after the key is gone reaches the same row, and survives erased values on the way", () => {
    const erased: FamilyEvent[] = [
      { type: "FamilyEnrolled", data: { familyId: "11111111-1111-4111-8111-111111111111", familyName: "(erased)", enrollmentDate: "2025-09-01", guardians: [{ name: "(erased)", email: "(erased)", phone: "(erased)" }, { name: "(erased)", email: "(erased)", phone: null }] } },
      { type: "ChildAdded", data: { childName: "(erased)", birthDate: "(erased)" } },
      payment("2026-01-10", "2026-01-01", 2_500),
      { type: "EngagementScoreUpdated", data: { score: 61, previousScore: 0, factors: null } },
      { type: "RiskAssessed", data: { score: 72, tier: "HIGH", previousScore: 0, factors: null } },
      { type: "CoordinatorAssigned", data: { coordinator: "Sam Lee", previousCoordinator: null } },
    ];
    const beforeForget = fold(erased);
    expect(beforeForget).toMatchObject({ familyName: "(erased)", children: [], childrenCount: 1, oldestChildBirthDate: null });
    const live = fold([...history, { type: "FamilyForgotten", data: {} }]);
    const rebuilt = fold([...erased, { type: "FamilyForgotten", data: {} }]);
    expect(rebuilt).toEqual(live);
  });
});
