// CONTRACT section 8 over real HTTP, with a real worker: forgetFamily, the family as it was at an
// instant (asOf, folded from the events), and the audit trail before and after the forget.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { todayUtc } from "./support/dates";
import { FAMILY_FIELDS, M, Q } from "./support/operations";
import { ok } from "./support/results";
import { startStack, type Stack } from "./support/stack";
import { waitUntil } from "./support/wait";

let stack: Stack;
const tenant = `t-pii-${randomUUID().slice(0, 8)}`;
const today = todayUtc();
let admin: string;
let coordinator: string;

beforeAll(async () => {
  stack = await startStack("coop_test_gw_pii", { worker: true });
  admin = await stack.token(tenant, ["admin"], "admin-ada");
  coordinator = await stack.token(tenant, ["coordinator"], "coordinator-ann");
});

afterAll(async () => {
  await stack?.stop();
});

type FamilyData = Record<string, unknown> & { familyName: string; status: string; version: number; children: { name: string; birthDate: string }[] };
interface HistoryEvent {
  version: number;
  type: string;
  schemaVersion: number;
  recordedAt: string;
  data: Record<string, unknown>;
}

const AS_OF = `query FamilyAsOf($id: ID!, $asOf: DateTime) { family(id: $id, asOf: $asOf) { ${FAMILY_FIELDS} } }`;

async function family(id: string, asOf?: string): Promise<FamilyData | null> {
  return ok(await stack.gql<{ family: FamilyData | null }>(AS_OF, { id, asOf }, { token: admin })).family;
}

async function history(id: string): Promise<HistoryEvent[]> {
  return ok(await stack.gql<{ familyHistory: HistoryEvent[] }>(Q.familyHistory, { id }, { token: admin })).familyHistory;
}

async function send(document: string, input: Record<string, unknown>, token = coordinator) {
  return ok(await stack.gql<Record<string, { version: number }>>(document, { input }, { token }));
}

const plus = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

describe("a family's past, and forgetting it", () => {
  it("asOf folds the events up to an instant, as the read model showed it; forgetting erases it everywhere, the past included", async () => {
    const familyId = randomUUID();
    await send(M.enrollFamily, { familyId, familyName: "Quintero", enrollmentDate: today, parentName: "Rosa Quintero", email: "rosa@example.org", phone: "555 0199" });
    await send(M.addChild, { familyId, childName: "Tomas", birthDate: "2019-04-05" });
    await send(M.assessRisk, { familyId, score: 88, factors: { housing: true } });
    await send(M.recordPayment, { familyId, amountCents: 12_345, paidOn: today, method: "CARD", transactionId: "tx-pii-1" }, admin);
    const live = await waitUntil(async () => {
      const f = await family(familyId);
      return f?.version === 4 ? f : null;
    }, { what: "the family read model at version 4" });

    const events = await history(familyId);
    expect(events.map((e) => e.type)).toEqual(["FamilyEnrolled", "ChildAdded", "RiskAssessed", "PaymentReceived"]);
    expect(events[0]!.data).toMatchObject({ familyName: "Quintero", guardians: [{ name: "Rosa Quintero", email: "rosa@example.org", phone: "555 0199" }] });

    // Before the enrolment there was no family; at each event, what the read model showed then.
    expect(await family(familyId, plus(events[0]!.recordedAt, -1))).toBeNull();
    expect(await family(familyId, events[0]!.recordedAt)).toMatchObject({ familyName: "Quintero", status: "ENROLLED", children: [], childrenCount: 0, version: 1 });
    expect(await family(familyId, events[1]!.recordedAt)).toMatchObject({ children: [{ name: "Tomas", birthDate: "2019-04-05" }], childrenCount: 1, riskScore: 0, version: 2 });
    expect(await family(familyId, events[2]!.recordedAt)).toMatchObject({ riskScore: 88, riskTier: "CRITICAL", riskFactors: { housing: true }, totalPaidCents: 0, version: 3 });
    // Now: exactly what the read model answers.
    expect(await family(familyId, new Date(Date.now() + 60_000).toISOString())).toEqual(live);

    // Only an admin forgets; the receipt names the event.
    expect(ok(await stack.gql<{ forgetFamily: { version: number; events: string[] } }>(M.forgetFamily, { input: { familyId } }, { token: admin })).forgetFamily).toMatchObject({
      version: 5,
      events: ["FamilyForgotten"],
    });
    const forgotten = await waitUntil(async () => {
      const f = await family(familyId);
      return f?.version === 5 ? f : null;
    }, { what: "the forgotten family in the read model" });
    expect(forgotten).toMatchObject({
      status: "FORGOTTEN",
      familyName: "(erased)",
      parentName: "(erased)",
      email: "(erased)",
      phone: null,
      riskFactors: null,
      oldestChildAge: null,
      children: [],
      childrenCount: 1,
      totalPaidCents: 12_345,
      paymentCount: 1,
      riskScore: 88,
    });
    expect(ok(await stack.gql<{ searchFamilies: unknown[] }>(Q.searchFamilies, { term: "Quintero" }, { token: admin })).searchFamilies).toEqual([]);
    expect(ok(await stack.gql<{ searchFamilies: unknown[] }>(Q.searchFamilies, { term: "Tomas" }, { token: admin })).searchFamilies).toEqual([]);
    const atRisk = ok(await stack.gql<{ atRiskFamilies: { familyId: string }[] }>(Q.atRiskFamilies, { min: 0 }, { token: admin })).atRiskFamilies;
    expect(atRisk.map((f) => f.familyId)).not.toContain(familyId);

    // The audit trail keeps every event, its personal fields erased.
    const after = await history(familyId);
    expect(after.map((e) => e.type)).toEqual(["FamilyEnrolled", "ChildAdded", "RiskAssessed", "PaymentReceived", "FamilyForgotten"]);
    expect(after[0]!.data).toEqual({ familyId, familyName: "(erased)", enrollmentDate: today, guardians: [{ name: "(erased)", email: "(erased)", phone: "(erased)" }] });
    expect(after[1]!.data).toEqual({ childName: "(erased)", birthDate: "(erased)" });
    expect(after[2]!.data).toMatchObject({ score: 88, factors: null });
    expect(JSON.stringify(after)).not.toMatch(/Quintero|Rosa|Tomas|rosa@|555 0199|2019-04-05|housing/);

    // The past reads erased too: the key is gone.
    expect(await family(familyId, events[1]!.recordedAt)).toMatchObject({ familyName: "(erased)", status: "ENROLLED", parentName: "(erased)", children: [], childrenCount: 1 });
    expect(await family(familyId, new Date(Date.now() + 60_000).toISOString())).toEqual(forgotten);
  });
});
