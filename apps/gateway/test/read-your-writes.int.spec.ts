// Read your writes (CONTRACT section 6) over real HTTP with a real worker process: a receipt's
// `family` is the family with the command's events, never an older version; a query sent with
// X-Consistent-With sees the write, on this gateway or another; a bad position is BAD_USER_INPUT;
// past CONSISTENCY_TIMEOUT_MS a field is null with CONSISTENCY_TIMEOUT and the command still
// stands. Waiting is driven by the workers' announcements (a gateway whose fallback timer never
// fires still answers), and when announcements are lost (a gateway without Redis) by the fallback.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { todayUtc } from "./support/dates";
import { M, Q, validInput } from "./support/operations";
import { firstError, ok, type Receipt } from "./support/results";
import { postGraphQL, startStack, type Stack } from "./support/stack";
import { waitUntil } from "./support/wait";

let stack: Stack;
const tenant = `t-ryw-${randomUUID().slice(0, 8)}`;
const today = todayUtc();
let coordinator: string;
let admin: string;
let finance: string;

interface FamilyData {
  id: string;
  familyName: string;
  version: number;
  totalPaidCents: number;
  status: string;
}
type ReceiptWithFamily = Receipt & { family: FamilyData | null };

const RECEIPT_WITH_FAMILY = "{ commandId streamId version position events family { id familyName version totalPaidCents status } }";
const ENROLL = `mutation Enroll($input: EnrollFamilyInput!) { enrollFamily(input: $input) ${RECEIPT_WITH_FAMILY} }`;
const PAY = `mutation Pay($input: RecordPaymentInput!) { recordPayment(input: $input) ${RECEIPT_WITH_FAMILY} }`;
const REGISTER = `mutation Register($input: RegisterCoordinatorInput!) { registerCoordinator(input: $input) { streamId family { id } } }`;
const FAMILY = "query Family($id: ID!) { family(id: $id) { id familyName version totalPaidCents } }";
const SEARCH = "query Search($term: String!) { searchFamilies(term: $term) { id version } }";

beforeAll(async () => {
  stack = await startStack("coop_test_gw_ryw", { worker: true });
  coordinator = await stack.token(tenant, ["coordinator"], "coordinator-ryw");
  admin = await stack.token(tenant, ["admin"], "admin-ryw");
  finance = await stack.token(tenant, ["finance"], "finance-ryw");
});

afterAll(async () => {
  await stack?.stop();
});

function enrollInput(familyId: string, name: string, commandId?: string) {
  return { ...validInput("enrollFamily", familyId, today), familyName: name, commandId };
}

function payInput(familyId: string, amountCents: number, n: number) {
  return { ...validInput("recordPayment", familyId, today, n), amountCents };
}

describe("CommandReceipt.family", () => {
  it("is the family with the command's events, right after enrollFamily, 10 times out of 10", async () => {
    for (let i = 0; i < 10; i++) {
      const familyId = randomUUID();
      const receipt = ok(await stack.gql<{ enrollFamily: ReceiptWithFamily }>(ENROLL, { input: enrollInput(familyId, `Ryw Family ${i}`) }, { token: coordinator })).enrollFamily;
      expect(receipt.family).toEqual({ id: familyId, familyName: `Ryw Family ${i}`, version: 1, totalPaidCents: 0, status: "ENROLLED" });
    }
  });

  it("never shows an older version: each payment's receipt shows the total with that payment", async () => {
    const familyId = randomUUID();
    ok(await stack.gql(ENROLL, { input: enrollInput(familyId, "Ryw Payer") }, { token: coordinator }));
    let total = 0;
    for (let n = 1; n <= 12; n++) {
      total += n * 100;
      const receipt = ok(await stack.gql<{ recordPayment: ReceiptWithFamily }>(PAY, { input: payInput(familyId, n * 100, n) }, { token: finance })).recordPayment;
      expect(receipt.family?.version).toBe(receipt.version);
      expect(receipt.family?.totalPaidCents).toBe(total);
    }
  });

  it("a resent command's receipt waits for the same position and shows the same family", async () => {
    const familyId = randomUUID();
    const commandId = randomUUID();
    const first = ok(await stack.gql<{ enrollFamily: ReceiptWithFamily }>(ENROLL, { input: enrollInput(familyId, "Ryw Resent", commandId) }, { token: coordinator })).enrollFamily;
    ok(await stack.gql(PAY, { input: payInput(familyId, 500, 1) }, { token: finance }));
    const again = ok(await stack.gql<{ enrollFamily: ReceiptWithFamily }>(ENROLL, { input: enrollInput(familyId, "Ryw Resent", commandId) }, { token: coordinator })).enrollFamily;
    expect(again.position).toBe(first.position);
    expect(again.version).toBe(1);
    // The read model has moved on since: the family is shown as it is (at least the receipt's version).
    expect(again.family?.version).toBeGreaterThanOrEqual(1);
    expect(again.family?.id).toBe(familyId);
  });

  it("is null, without an error, for a command on another aggregate", async () => {
    const result = await stack.gql<{ registerCoordinator: { streamId: string; family: null } }>(
      REGISTER,
      { input: { name: `Ryw Coordinator ${randomUUID().slice(0, 6)}`, caseloadLimit: 10 } },
      { token: admin },
    );
    expect(ok(result).registerCoordinator.family).toBeNull();
  });
});

describe("X-Consistent-With", () => {
  it("makes a query right after a receipt see the write, 10 times out of 10", async () => {
    for (let i = 0; i < 10; i++) {
      const familyId = randomUUID();
      const receipt = ok(await stack.gql<{ enrollFamily: Receipt }>(M.enrollFamily, { input: enrollInput(familyId, `Ryw Header ${i}`) }, { token: coordinator })).enrollFamily;
      const headers = { "x-consistent-with": receipt.position };
      const family = ok(await stack.gql<{ family: { id: string; version: number } | null }>(FAMILY, { id: familyId }, { token: admin, headers })).family;
      expect(family?.id).toBe(familyId);
      const found = ok(await stack.gql<{ searchFamilies: { id: string }[] }>(SEARCH, { term: `Ryw Header ${i}` }, { token: admin, headers })).searchFamilies;
      expect(found.map((f) => f.id)).toContain(familyId);
    }
  });

  it("holds across gateways: the receipt of one, the query on another", async () => {
    const other = await stack.startGateway();
    for (let i = 0; i < 5; i++) {
      const familyId = randomUUID();
      const receipt = ok(await stack.gql<{ enrollFamily: Receipt }>(M.enrollFamily, { input: enrollInput(familyId, `Ryw Across ${i}`) }, { token: coordinator })).enrollFamily;
      const paid = ok(await postGraphQL<{ recordPayment: Receipt }>(other.url, M.recordPayment, { input: payInput(familyId, 2_500, i) }, { token: finance })).recordPayment;
      const family = ok(await stack.gql<{ family: FamilyData | null }>(FAMILY, { id: familyId }, { token: admin, headers: { "x-consistent-with": paid.position } })).family;
      expect(family?.version).toBe(2);
      expect(family?.totalPaidCents).toBe(2_500);
      expect(BigInt(paid.position)).toBeGreaterThan(BigInt(receipt.position));
    }
  });

  it("waits only for what the fields read: the event store's familyHistory needs no wait", async () => {
    const familyId = randomUUID();
    const receipt = ok(await stack.gql<{ enrollFamily: Receipt }>(M.enrollFamily, { input: enrollInput(familyId, "Ryw History") }, { token: coordinator })).enrollFamily;
    const history = ok(await stack.gql<{ familyHistory: { type: string }[] }>(Q.familyHistory, { id: familyId }, { token: admin, headers: { "x-consistent-with": receipt.position } })).familyHistory;
    expect(history.map((e) => e.type)).toEqual(["FamilyEnrolled"]);
  });

  it("refuses a position that is not a 64-bit integer with BAD_USER_INPUT (HTTP 400)", async () => {
    for (const bad of ["abc", "-1", "1.5", "", "9223372036854775808", "12 13", "0x10"]) {
      const result = await stack.gql(FAMILY, { id: randomUUID() }, { token: admin, headers: { "x-consistent-with": bad } });
      expect(result.status, bad).toBe(400);
      expect(firstError(result).extensions?.code, bad).toBe("BAD_USER_INPUT");
      expect(firstError(result).extensions?.field, bad).toBe("X-Consistent-With");
    }
    // Position 0 precedes every event: nothing to wait for.
    const result = await stack.gql(FAMILY, { id: randomUUID() }, { token: admin, headers: { "x-consistent-with": "0" } });
    expect(result.status).toBe(200);
    expect(ok(result)).toEqual({ family: null });
  });
});

describe("what drives the wait", () => {
  it("announcements alone: a gateway whose fallback never fires still reads its writes", async () => {
    const announced = await stack.startGateway({ consistencyFallbackMs: 3_600_000 });
    // What is announced before its subscription is in place is lost to it (the fallback's job).
    await waitUntil(() => announced.services.consistency.live, { timeoutMs: 10_000, what: "the gateway's subscription to the announcements" });
    for (let i = 0; i < 10; i++) {
      const familyId = randomUUID();
      const receipt = ok(await postGraphQL<{ enrollFamily: ReceiptWithFamily }>(announced.url, ENROLL, { input: enrollInput(familyId, `Ryw Announced ${i}`) }, { token: coordinator })).enrollFamily;
      expect(receipt.family?.version).toBe(1);
      const paid = ok(await postGraphQL<{ recordPayment: Receipt }>(announced.url, M.recordPayment, { input: payInput(familyId, 700, i) }, { token: finance })).recordPayment;
      const family = ok(await postGraphQL<{ family: FamilyData | null }>(announced.url, FAMILY, { id: familyId }, { token: admin, headers: { "x-consistent-with": paid.position } })).family;
      expect(family?.totalPaidCents).toBe(700);
    }
  });

  it("the fallback alone: a gateway that hears no announcement (its Redis is unreachable) still reads its writes", async () => {
    const deaf = await stack.startGateway({ consistencyFallbackMs: 100 }, { REDIS_URL: "redis://127.0.0.1:1" });
    for (let i = 0; i < 5; i++) {
      const familyId = randomUUID();
      const receipt = ok(await postGraphQL<{ enrollFamily: ReceiptWithFamily }>(deaf.url, ENROLL, { input: enrollInput(familyId, `Ryw Deaf ${i}`) }, { token: coordinator })).enrollFamily;
      expect(receipt.family?.version).toBe(1);
      const family = ok(await postGraphQL<{ family: FamilyData | null }>(deaf.url, FAMILY, { id: familyId }, { token: admin, headers: { "x-consistent-with": receipt.position } })).family;
      expect(family?.id).toBe(familyId);
    }
  });
});

describe("CONSISTENCY_TIMEOUT", () => {
  let stalled: Stack;
  beforeAll(async () => {
    // No worker: the read models never move.
    stalled = await startStack("coop_test_gw_ryw_stalled", { env: { CONSISTENCY_TIMEOUT_MS: "300" } });
  });
  afterAll(async () => {
    await stalled?.stop();
  });

  it("a receipt's family is null with CONSISTENCY_TIMEOUT at its path; the rest of the receipt stands, and so does the command", async () => {
    const token = await stalled.token(tenant, ["coordinator"], "coordinator-stalled");
    const familyId = randomUUID();
    const result = await stalled.gql<{ enrollFamily: ReceiptWithFamily }>(ENROLL, { input: enrollInput(familyId, "Ryw Stalled") }, { token });
    expect(result.status).toBe(200);
    expect(result.body.data?.enrollFamily).toMatchObject({ streamId: familyId, version: 1, events: ["FamilyEnrolled"], family: null });
    expect(result.body.errors).toHaveLength(1);
    expect(result.body.errors![0]!.extensions?.code).toBe("CONSISTENCY_TIMEOUT");
    expect(result.body.errors![0]!.path).toEqual(["enrollFamily", "family"]);
    expect(await stalled.eventCount(tenant)).toBe(1);
  });

  it("a query with X-Consistent-With answers CONSISTENCY_TIMEOUT at each field that reads a read model", async () => {
    const token = await stalled.token(tenant, ["admin"], "admin-stalled");
    const familyId = randomUUID();
    const receipt = ok(await stalled.gql<{ enrollFamily: Receipt }>(M.enrollFamily, { input: enrollInput(familyId, "Ryw Stalled Query") }, { token })).enrollFamily;
    const result = await stalled.gql<{ family: null; familyHistory: { type: string }[] }>(
      "query Both($id: ID!) { family(id: $id) { id } familyHistory(id: $id) { type } }",
      { id: familyId },
      { token, headers: { "x-consistent-with": receipt.position } },
    );
    expect(result.body.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([["CONSISTENCY_TIMEOUT", ["family"]]]);
    expect(result.body.data?.family).toBeNull();
    // The event store's field answered.
    expect(result.body.data?.familyHistory.map((e) => e.type)).toEqual(["FamilyEnrolled"]);
  });
});

describe("a stopped read model", () => {
  it("fails at once with CONSISTENCY_TIMEOUT naming it, rather than waiting out the timeout", async () => {
    const familyId = randomUUID();
    ok(await stack.gql(M.enrollFamily, { input: enrollInput(familyId, "Ryw Stopped") }, { token: coordinator }));
    await stack.pool.query("UPDATE projections SET status = 'STOPPED' WHERE name = 'payment-analytics'");
    try {
      const paid = ok(await stack.gql<{ recordPayment: Receipt }>(M.recordPayment, { input: payInput(familyId, 900, 1) }, { token: finance })).recordPayment;
      const result = await stack.gql(
        "query Months($from: Date!, $to: Date!) { paymentAnalytics(from: $from, to: $to) { month } }",
        { from: today, to: today },
        { token: finance, headers: { "x-consistent-with": paid.position } },
      );
      expect(firstError(result).extensions?.code).toBe("CONSISTENCY_TIMEOUT");
      // Not the timeout's message ("did not include position ... within"): it did not wait it out.
      expect(firstError(result).message).toContain("payment-analytics (STOPPED) is not being updated");
    } finally {
      await stack.pool.query("UPDATE projections SET status = 'RUNNING' WHERE name = 'payment-analytics'");
    }
  });
});
