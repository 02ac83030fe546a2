// The whole API over real HTTP with a real worker child process projecting the read models:
// every mutation, every query with expected values computed here, idempotency, tenant isolation.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addDaysUtc, daysFromTo, monthStart, todayUtc } from "./support/dates";
import { EVENT_STORE } from "../src/graphql/module";
import { gatewayReads } from "../src/graphql/schema";
import { senderRole } from "../src/testing/feature-kit";
import { M, MUTATIONS, mutationsOn, Q, validInput, type MutationName } from "./support/operations";
import { startStack, type GraphQLResult, type Stack } from "./support/stack";
import { waitUntil } from "./support/wait";

let stack: Stack;
const tenant = `t-scenario-${randomUUID().slice(0, 8)}`;
const otherTenant = `t-other-${randomUUID().slice(0, 8)}`;
const today = todayUtc();
const year = Number(today.slice(0, 4));
let coordinator: string;
let finance: string;
let admin: string;
let otherAdmin: string;

interface Receipt {
  commandId: string;
  streamId: string;
  version: number;
  position: string;
  events: string[];
}

beforeAll(async () => {
  stack = await startStack("coop_test_gw_scenario", { worker: true });
  coordinator = await stack.token(tenant, ["coordinator"], "coordinator-ann");
  finance = await stack.token(tenant, ["finance"], "finance-fred");
  admin = await stack.token(tenant, ["admin"], "admin-ada");
  otherAdmin = await stack.token(otherTenant, ["admin"], "admin-other");
});

afterAll(async () => {
  await stack?.stop();
});

function ok<T>(result: GraphQLResult<T>): T {
  if (result.body.errors || !result.body.data) throw new Error(`unexpected errors: ${JSON.stringify(result.body)}`);
  return result.body.data;
}

async function send(name: MutationName, input: Record<string, unknown>, options: { token?: string; headers?: Record<string, string> } = {}): Promise<Receipt> {
  const token = options.token ?? { admin, coordinator, finance }[senderRole(MUTATIONS[name].roles)];
  const data = ok(await stack.gql<Record<string, Receipt>>(M[name], { input }, { token, headers: options.headers }));
  return data[name]!;
}

type FamilyData = Record<string, unknown> & { version: number };
async function family(id: string, token = admin) {
  return ok(await stack.gql<{ family: FamilyData | null }>(Q.family, { id }, { token })).family;
}

/** Waits until the family's read model has caught up with `version`. */
async function familyAt(id: string, version: number) {
  return waitUntil(async () => {
    const f = await family(id);
    return f && f.version >= version ? f : null;
  }, { what: `family ${id} at version ${version}` });
}

// Families of the scenario, by role in it.
const F = {
  alvarez: randomUUID(), // CRITICAL, children, payments, contacts, coordinator
  brooks: randomUUID(), // HIGH 75, contacted 30 days ago, engagement 30
  castillo: randomUUID(), // HIGH 75, never contacted
  dunn: randomUUID(), // HIGH 75, contacted 60 days ago
  evans: randomUUID(), // MEDIUM 40
  fischer: randomUUID(), // withdrawn, risk 95
  garcia: randomUUID(), // never assessed: LOW
  percent: randomUUID(), // "100% Club_": LIKE wildcards in the name
};
const M1 = monthStart(today, 2);
const M2 = monthStart(today, 1);
const lastVersion: Record<string, number> = {};

describe("a family's life through every mutation", () => {
  it("enrolls, adds children, records payments, engagement, risk, contacts, a coordinator, a withdrawal", async () => {
    const correlationId = `scenario-${randomUUID()}`;
    const enrollCommand = randomUUID();
    const enrolled = await send(
      "enrollFamily",
      { familyId: F.alvarez, familyName: "  Alvarez ", enrollmentDate: addDaysUtc(today, -400), parentName: "Rosa Alvarez", email: "rosa@example.com", phone: "+1 555 0100", commandId: enrollCommand },
      { headers: { "x-correlation-id": correlationId } },
    );
    expect(enrolled).toEqual({ commandId: enrollCommand, streamId: F.alvarez, version: 1, position: expect.stringMatching(/^\d+$/), events: ["FamilyEnrolled"] });

    const names: [keyof typeof F, string][] = [
      ["brooks", "Brooks"],
      ["castillo", "Castillo"],
      ["dunn", "Dunn"],
      ["evans", "Evans"],
      ["fischer", "Fischer"],
      ["garcia", "Garcia"],
      ["percent", "100% Club_"],
    ];
    for (const [key, name] of names) {
      await send("enrollFamily", { familyId: F[key], familyName: name, enrollmentDate: today, parentName: `Parent ${name}`, email: `${key}@example.com` });
    }

    const sofia = await send("addChild", { familyId: F.alvarez, childName: "Sofia", birthDate: `${year - 10}-01-01` });
    expect(sofia).toMatchObject({ version: 2, events: ["ChildAdded"] });
    await send("addChild", { familyId: F.alvarez, childName: "Mateo", birthDate: `${year - 6}-01-01` });

    // Payments, recorded out of date order: the latest paidOn wins whatever the order.
    await send("recordPayment", { familyId: F.alvarez, amountCents: 2500, paidOn: addDaysUtc(M2, 2), method: "CASH", transactionId: "a-3" });
    await send("recordPayment", { familyId: F.alvarez, amountCents: 10000, paidOn: addDaysUtc(M1, 4), dueOn: addDaysUtc(M1, 1), method: "CARD", transactionId: "a-1" });
    await send("recordPayment", { familyId: F.alvarez, amountCents: 5000, paidOn: addDaysUtc(M1, 9), dueOn: addDaysUtc(M1, 14), method: "ACH", transactionId: "a-2" });
    await send("recordPayment", { familyId: F.brooks, amountCents: 7000, paidOn: addDaysUtc(M1, 19), dueOn: addDaysUtc(M1, 9), method: "CARD", transactionId: "b-1" });

    await send("updateEngagementScore", { familyId: F.alvarez, score: 55, factors: { attendance: "high" } });
    await send("updateEngagementScore", { familyId: F.brooks, score: 30 });
    const risk = await send("assessRisk", { familyId: F.alvarez, score: 90, factors: { missedPayments: 2, notes: ["a", "b"] } });
    expect(risk.events).toEqual(["RiskAssessed"]);
    for (const key of ["brooks", "castillo", "dunn"] as const) await send("assessRisk", { familyId: F[key], score: 75 });
    await send("assessRisk", { familyId: F.evans, score: 40 });
    // Every projection gets events to process (comments have their own scenario: comments.int.spec.ts).
    const comment = await send("addComment", { familyId: F.evans, body: "Met at the open day" });
    expect(comment).toMatchObject({ streamId: F.evans, version: 3, events: ["CommentAdded"] });
    await send("assessRisk", { familyId: F.fischer, score: 95 });

    await send("recordContact", { familyId: F.alvarez, method: "PHONE", contactedOn: addDaysUtc(today, -5), note: "called" });
    await send("recordContact", { familyId: F.alvarez, method: "VISIT", contactedOn: addDaysUtc(today, -20) });
    await send("recordContact", { familyId: F.brooks, method: "EMAIL", contactedOn: addDaysUtc(today, -30) });
    await send("recordContact", { familyId: F.dunn, method: "MESSAGE", contactedOn: addDaysUtc(today, -60) });

    const assigned = await send("assignCoordinator", { familyId: F.alvarez, coordinator: "Coordinator Kim" });
    lastVersion.alvarez = assigned.version;
    expect(assigned.version).toBe(11);
    const withdrawn = await send("withdrawFamily", { familyId: F.fischer, reason: "moved away" });
    expect(withdrawn).toMatchObject({ version: 3, events: ["FamilyWithdrawn"] });
    lastVersion.fischer = withdrawn.version;

    // The audit trail: every event in order, with the command's metadata.
    const history = ok(await stack.gql<{ familyHistory: { position: string; version: number; type: string; schemaVersion: number; recordedAt: string; data: Record<string, unknown>; metadata: Record<string, unknown> }[] }>(Q.familyHistory, { id: F.alvarez }, { token: coordinator })).familyHistory;
    expect(history.map((e) => e.version)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    expect(history.map((e) => e.type)).toEqual([
      "FamilyEnrolled",
      "ChildAdded",
      "ChildAdded",
      "PaymentReceived",
      "PaymentReceived",
      "PaymentReceived",
      "EngagementScoreUpdated",
      "RiskAssessed",
      "ContactRecorded",
      "ContactRecorded",
      "CoordinatorAssigned",
    ]);
    const positions = history.map((e) => BigInt(e.position));
    expect([...positions].sort((a, b) => (a < b ? -1 : 1))).toEqual(positions);
    expect(history[0]!.position).toBe(enrolled.position);
    expect(history[0]!.metadata).toMatchObject({ commandId: enrollCommand, correlationId, userId: "coordinator-ann" });
    expect(history[3]!.metadata).toMatchObject({ userId: "finance-fred", commandId: expect.any(String), correlationId: expect.any(String) });
    expect(history[0]!.schemaVersion).toBeGreaterThanOrEqual(1);
    expect(Date.parse(history[0]!.recordedAt)).toBeGreaterThan(Date.now() - 10 * 60_000);
    expect(history[3]!.data).toMatchObject({ amountCents: 2500, paidOn: addDaysUtc(M2, 2), method: "CASH", transactionId: "a-3" });
  });
});

/** Every projection has applied every event (lag 0, through the projections query). */
async function caughtUp() {
  return waitUntil(async () => {
    const list = ok(await stack.gql<{ projections: { lag: number }[] }>(Q.projections, undefined, { token: admin })).projections;
    return list.length >= 3 && list.every((p) => p.lag === 0) ? list : null;
  }, { what: "projections to catch up" });
}

describe("queries on the read models (after the worker projected them)", () => {
  beforeAll(async () => {
    await caughtUp();
  });

  it("family: every field, computed here", async () => {
    const f = await familyAt(F.alvarez, lastVersion.alvarez!);
    expect(f).toEqual({
      id: F.alvarez,
      familyName: "Alvarez",
      status: "ENROLLED",
      enrollmentDate: addDaysUtc(today, -400),
      parentName: "Rosa Alvarez",
      email: "rosa@example.com",
      phone: "+1 555 0100",
      children: [
        { name: "Sofia", birthDate: `${year - 10}-01-01` },
        { name: "Mateo", birthDate: `${year - 6}-01-01` },
      ],
      childrenCount: 2,
      oldestChildAge: 10,
      totalPaidCents: 17500,
      paymentCount: 3,
      lastPaymentDate: addDaysUtc(M2, 2),
      avgDaysLate: 3,
      engagementScore: 55,
      riskScore: 90,
      riskTier: "CRITICAL",
      riskFactors: { missedPayments: 2, notes: ["a", "b"] },
      assignedCoordinator: "Coordinator Kim",
      lastContactDate: addDaysUtc(today, -5),
      version: 11,
      updatedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
    });
    const withdrawn = await familyAt(F.fischer, lastVersion.fischer!);
    expect(withdrawn).toMatchObject({ status: "WITHDRAWN", riskScore: 95, riskTier: "CRITICAL", children: [], oldestChildAge: null, avgDaysLate: null, lastContactDate: null });
    const never = await familyAt(F.garcia, 1);
    expect(never).toMatchObject({ riskScore: 0, riskTier: "LOW", engagementScore: 0, riskFactors: null, totalPaidCents: 0, lastPaymentDate: null, phone: null });
    // Unknown and non-UUID ids: null, not an error.
    expect(await family(randomUUID())).toBeNull();
    expect(await family("not-a-uuid")).toBeNull();
    // Every role may read a family.
    expect((await family(F.alvarez, finance))?.familyName).toBe("Alvarez");
  });

  it("searchFamilies: family and child names, case-insensitive, by name, withdrawn too, wildcards literal", async () => {
    const search = async (term: string, limit?: number) =>
      ok(await stack.gql<{ searchFamilies: { id: string; familyName: string; status: string }[] }>(Q.searchFamilies, { term, limit }, { token: finance })).searchFamilies;
    expect((await search("SOFI")).map((f) => f.id)).toEqual([F.alvarez]);
    expect((await search("alvA")).map((f) => f.familyName)).toEqual(["Alvarez"]);
    // "ar" is in Alvarez, Garcia (and nothing else): ordered by family name.
    expect((await search("ar")).map((f) => f.familyName)).toEqual(["Alvarez", "Garcia"]);
    expect((await search("isch"))[0]).toMatchObject({ id: F.fischer, status: "WITHDRAWN" });
    expect((await search("%")).map((f) => f.id)).toEqual([F.percent]);
    expect((await search("_")).map((f) => f.id)).toEqual([F.percent]);
    expect(await search("zzz-nothing")).toEqual([]);
    const all = await search("e");
    expect(all.map((f) => f.familyName)).toEqual([...all.map((f) => f.familyName)].sort());
    expect(await search("e", 2)).toEqual(all.slice(0, 2));
    const byDefault = ok(await stack.gql<{ searchFamilies: unknown[] }>(Q.searchFamiliesDefault, { term: "" }, { token: admin })).searchFamilies;
    expect(byDefault).toHaveLength(8);
  });

  it("atRiskFamilies: enrolled, score >= min, by score, never contacted first, longest since contact, name", async () => {
    const atRisk = async (min?: number, limit?: number) =>
      ok(await stack.gql<{ atRiskFamilies: Record<string, unknown>[] }>(Q.atRiskFamilies, { min, limit }, { token: coordinator })).atRiskFamilies;
    const rows = await atRisk();
    expect(rows).toEqual([
      {
        familyId: F.alvarez,
        familyName: "Alvarez",
        riskScore: 90,
        riskTier: "CRITICAL",
        riskFactors: { missedPayments: 2, notes: ["a", "b"] },
        recommendedIntervention: "HOME_VISIT",
        lastContactDate: addDaysUtc(today, -5),
        daysSinceContact: 5,
        assignedCoordinator: "Coordinator Kim",
        id: F.alvarez,
      },
      expect.objectContaining({ familyId: F.castillo, riskScore: 75, riskTier: "HIGH", recommendedIntervention: "PHONE_CALL", lastContactDate: null, daysSinceContact: null }),
      expect.objectContaining({ familyId: F.dunn, daysSinceContact: daysFromTo(addDaysUtc(today, -60), today), lastContactDate: addDaysUtc(today, -60) }),
      expect.objectContaining({ familyId: F.brooks, daysSinceContact: 30, assignedCoordinator: null }),
    ]);
    const withMedium = await atRisk(40, 10);
    expect(withMedium.map((r) => r.familyId)).toEqual([F.alvarez, F.castillo, F.dunn, F.brooks, F.evans]);
    expect(withMedium[4]).toMatchObject({ riskTier: "MEDIUM", recommendedIntervention: "EMAIL" });
    expect((await atRisk(40, 2)).map((r) => r.familyId)).toEqual([F.alvarez, F.castillo]);
    expect(await atRisk(91)).toEqual([]);
    const defaults = ok(await stack.gql<{ atRiskFamilies: { familyId: string }[] }>(Q.atRiskFamiliesDefault, undefined, { token: admin })).atRiskFamilies;
    expect(defaults.map((r) => r.familyId)).toEqual([F.alvarez, F.castillo, F.dunn, F.brooks]);
  });

  it("familiesByRiskTier: enrolled families per tier, in tier order, averages as floats", async () => {
    const tiers = ok(await stack.gql<{ familiesByRiskTier: unknown[] }>(Q.familiesByRiskTier, undefined, { token: coordinator })).familiesByRiskTier;
    expect(tiers).toEqual([
      { riskTier: "CRITICAL", families: 1, avgEngagement: 55, avgRisk: 90 },
      { riskTier: "HIGH", families: 3, avgEngagement: 10, avgRisk: 75 },
      { riskTier: "MEDIUM", families: 1, avgEngagement: 0, avgRisk: 40 },
      { riskTier: "LOW", families: 2, avgEngagement: 0, avgRisk: 0 },
    ]);
  });

  it("paymentAnalytics: months newest first, distinct families, on time/late, avg days late, methods alphabetically", async () => {
    const months = ok(await stack.gql<{ paymentAnalytics: Record<string, unknown>[] }>(Q.paymentAnalytics, { from: addDaysUtc(M1, 10), to: today }, { token: finance })).paymentAnalytics;
    expect(months).toEqual([
      { month: M2, paymentCount: 1, familiesPaid: 1, revenueCollectedCents: 2500, paidOnTime: 1, paidLate: 0, avgDaysLate: null, methodBreakdown: [{ method: "CASH", count: 1, amountCents: 2500 }] },
      {
        month: M1,
        paymentCount: 3,
        familiesPaid: 2,
        revenueCollectedCents: 22000,
        paidOnTime: 1,
        paidLate: 2,
        avgDaysLate: 6.5,
        methodBreakdown: [
          { method: "ACH", count: 1, amountCents: 5000 },
          { method: "CARD", count: 2, amountCents: 17000 },
        ],
      },
    ]);
    const onlyM1 = ok(await stack.gql<{ paymentAnalytics: { month: string }[] }>(Q.paymentAnalytics, { from: M1, to: addDaysUtc(M2, -1) }, { token: admin })).paymentAnalytics;
    expect(onlyM1.map((m) => m.month)).toEqual([M1]);
    const none = ok(await stack.gql<{ paymentAnalytics: unknown[] }>(Q.paymentAnalytics, { from: "2001-01-01", to: "2001-12-31" }, { token: admin })).paymentAnalytics;
    expect(none).toEqual([]);
  });

  it("projections (admin): checkpoint, head, lag, status", async () => {
    const head = String((await stack.pool.query<{ p: string }>("SELECT max(position)::text AS p FROM events")).rows[0]!.p);
    const rows = ok(await stack.gql<{ projections: Record<string, unknown>[] }>(Q.projections, undefined, { token: admin })).projections;
    const names = rows.map((r) => r.name as string);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(["at-risk", "family-detail", "payment-analytics"]));
    // What the modules say their fields read is a projection the worker runs (or the event store).
    const declared = new Set([...gatewayReads.values()].flat());
    expect([...declared].filter((source) => source !== EVENT_STORE && !names.includes(source))).toEqual([]);
    const total = await stack.eventCount();
    for (const row of rows) {
      expect(row).toMatchObject({ headPosition: head, lag: 0, status: "RUNNING", lastError: null });
      expect(row.eventsProcessed).toBeGreaterThan(0);
      expect(row.eventsProcessed).toBeLessThanOrEqual(total);
      expect(BigInt(row.position as string)).toBeLessThanOrEqual(BigInt(head));
      expect(Date.parse(row.updatedAt as string)).not.toBeNaN();
    }
  });
});

describe("idempotency", () => {
  it("the same command id and input: the first receipt, nothing appended; other input: COMMAND_ID_REUSED", async () => {
    const commandId = randomUUID();
    const input = { familyId: F.garcia, childName: "Lucia", birthDate: "2019-03-03", commandId };
    const first = await send("addChild", input);
    const before = await stack.eventCount(tenant);
    const again = await send("addChild", { ...input, commandId: commandId.toUpperCase() });
    expect(again).toEqual(first);
    expect(await stack.eventCount(tenant)).toBe(before);
    const other = await stack.gql(M.addChild, { input: { ...input, childName: "Other" } }, { token: coordinator });
    expect(other.body.errors?.[0]?.extensions).toMatchObject({ code: "CONFLICT", reason: "COMMAND_ID_REUSED" });
    expect(await stack.eventCount(tenant)).toBe(before);
  });

  it("enrollFamily without a family id, twice with one command id: one family", async () => {
    const commandId = randomUUID();
    const input = { familyName: "Idempotent", enrollmentDate: today, parentName: "Ida", email: "ida@example.com", commandId };
    const first = await send("enrollFamily", input);
    const before = await stack.eventCount(tenant);
    const second = await send("enrollFamily", input);
    expect(second).toEqual(first);
    expect(first.streamId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await stack.eventCount(tenant)).toBe(before);
    // The family's name is sealed at rest: the enrolment is found by the family id it carries in plain.
    const rows = await stack.pool.query("SELECT stream_id FROM events WHERE tenant_id = $1 AND event_type = 'FamilyEnrolled' AND data->>'familyId' = $2", [tenant, first.streamId]);
    expect(rows.rows).toEqual([{ stream_id: first.streamId }]);
    const history = await stack.gql<{ familyHistory: { data: { familyName: string } }[] }>(Q.familyHistory, { id: first.streamId }, { token: admin });
    expect(history.body.data?.familyHistory.map((e) => e.data.familyName)).toEqual(["Idempotent"]);
    // Without a command id, each request is a new command and a new family.
    const a = await send("enrollFamily", { ...input, commandId: undefined });
    const b = await send("enrollFamily", { ...input, commandId: undefined });
    expect(a.streamId).not.toBe(b.streamId);
  });
});

describe("tenant isolation", () => {
  it("another tenant sees nothing of this one, in every query", async () => {
    await familyAt(F.alvarez, lastVersion.alvarez!);
    expect(await family(F.alvarez, otherAdmin)).toBeNull();
    const data = ok(
      await stack.gql<Record<string, unknown[]>>(
        `query($id: ID!) { searchFamilies(term: "a") { id } atRiskFamilies(minRiskScore: 0) { familyId } familiesByRiskTier { riskTier }
          paymentAnalytics(from: "${M1}", to: "${today}") { month } familyHistory(id: $id) { type } }`,
        { id: F.alvarez },
        { token: otherAdmin },
      ),
    );
    expect(data).toEqual({ searchFamilies: [], atRiskFamilies: [], familiesByRiskTier: [], paymentAnalytics: [], familyHistory: [] });
  });

  it("every mutation on another tenant's family or coordinator is NOT_FOUND and appends nothing; the same id may be enrolled independently", async () => {
    const coordinatorId = randomUUID();
    await send("registerCoordinator", validInput("registerCoordinator", coordinatorId, today));
    const ours = { family: F.alvarez, coordinator: coordinatorId };
    const before = await stack.eventCount();
    for (const name of mutationsOn()) {
      const result = await stack.gql(M[name], { input: validInput(name, ours[MUTATIONS[name].stream.kind], today) }, { token: otherAdmin });
      expect(result.body.errors?.[0]?.extensions?.code, name).toBe("NOT_FOUND");
    }
    expect(await stack.eventCount()).toBe(before);
    const enrolled = await send("enrollFamily", { familyId: F.alvarez, familyName: "Other Alvarez", enrollmentDate: today, parentName: "O", email: "o@example.com" }, { token: otherAdmin });
    expect(enrolled).toMatchObject({ streamId: F.alvarez, version: 1 });
    const theirs = await waitUntil(async () => family(F.alvarez, otherAdmin), { what: "the other tenant's family" });
    expect(theirs).toMatchObject({ familyName: "Other Alvarez", version: 1 });
    expect(await family(F.alvarez, admin)).toMatchObject({ familyName: "Alvarez", version: 11 });
    expect(ok(await stack.gql<{ familyHistory: unknown[] }>(Q.familyHistory, { id: F.alvarez }, { token: otherAdmin })).familyHistory).toHaveLength(1);
  });
});
