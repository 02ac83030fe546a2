// Long lists and large sums over real HTTP with a real worker child process: keyset pages through
// searchFamilies and atRiskFamilies give exactly the whole list, in the contract's order (made
// total by the family id), without duplicates; money past 2^31 cents reads exactly (SafeInt).
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addDaysUtc, todayUtc } from "./support/dates";
import { M, Q, validInput } from "./support/operations";
import { firstError, ok } from "./support/results";
import { startStack, type Stack } from "./support/stack";
import { waitUntil } from "./support/wait";

let stack: Stack;
const tenant = `t-large-${randomUUID().slice(0, 8)}`;
const otherTenant = `t-large-other-${randomUUID().slice(0, 8)}`;
const today = todayUtc();
let coordinator: string;
let finance: string;
let admin: string;
let otherAdmin: string;

/** What the test sent about each family: what the lists must show. */
interface Sent {
  id: string;
  name: string;
  riskScore: number;
  lastContact: string | null;
  enrolled: boolean;
}
const sent: Sent[] = [];
const FAMILIES = 120;
const richId = randomUUID();
let otherFamily: string;

/** Runs the tasks, `width` at a time. */
async function inParallel<T>(items: readonly T[], width: number, task: (item: T) => Promise<unknown>) {
  const queue = [...items];
  await Promise.all(Array.from({ length: width }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await task(item);
  }));
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

beforeAll(async () => {
  stack = await startStack("coop_test_gw_large", { worker: true });
  coordinator = await stack.token(tenant, ["coordinator"]);
  finance = await stack.token(tenant, ["finance"]);
  admin = await stack.token(tenant, ["admin"]);
  otherAdmin = await stack.token(otherTenant, ["admin"]);

  // Names repeat every 7 families, scores every 5, contact dates every 6: many ties, broken by the id.
  const scores = [95, 88, 75, 75, 70];
  for (let i = 0; i < FAMILIES; i++) {
    const contacted = i % 3 === 0;
    sent.push({
      id: randomUUID(),
      name: `Page ${i % 7}`,
      riskScore: i < 60 ? scores[i % 5]! : 10,
      lastContact: contacted ? addDaysUtc(today, i % 2 ? -10 : -20) : null,
      enrolled: i !== 5,
    });
  }
  await inParallel(sent, 8, async (f) => {
    const send = (name: keyof typeof M, input: Record<string, unknown>) => stack.gql(M[name], { input }, { token: coordinator }).then(ok);
    await send("enrollFamily", { ...validInput("enrollFamily", f.id, today), familyName: f.name });
    await send("assessRisk", { familyId: f.id, score: f.riskScore });
    if (f.lastContact) await send("recordContact", { familyId: f.id, method: "PHONE", contactedOn: f.lastContact });
    if (!f.enrolled) await send("withdrawFamily", { familyId: f.id, reason: "moved" });
  });

  // 220 payments of 100,000.00: 2,200,000,000 cents, past 2^31.
  ok(await stack.gql(M.enrollFamily, { input: { ...validInput("enrollFamily", richId, today), familyName: "Rich Family" } }, { token: coordinator }));
  await inParallel(Array.from({ length: 220 }, (_, n) => n), 4, (n) =>
    stack.gql(M.recordPayment, { input: { familyId: richId, amountCents: 10_000_000, paidOn: today, method: "CARD", transactionId: `rich-${n}` } }, { token: finance }).then(ok),
  );

  otherFamily = randomUUID();
  ok(await stack.gql(M.enrollFamily, { input: { ...validInput("enrollFamily", otherFamily, today), familyName: "Page 1" } }, { token: otherAdmin }));
  ok(await stack.gql(M.assessRisk, { input: { familyId: otherFamily, score: 99 } }, { token: otherAdmin }));

  // Every projection has applied every event.
  await waitUntil(async () => {
    const list = ok(await stack.gql<{ projections: { lag: number }[] }>(Q.projections, undefined, { token: admin })).projections;
    return list.length > 0 && list.every((p) => p.lag === 0);
  }, { what: "the projections to catch up", timeoutMs: 60_000 });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

/** Pages through a list with `first` and `after` until a short page; every page as it came. */
async function pages<T extends { id: string }>(read: (after: string | null) => Promise<T[]>, first: number): Promise<T[][]> {
  const all: T[][] = [];
  let after: string | null = null;
  for (;;) {
    const page = await read(after);
    all.push(page);
    expect(page.length).toBeLessThanOrEqual(first);
    if (page.length < first) return all;
    after = page[page.length - 1]!.id;
  }
}

describe("keyset pages", () => {
  it("searchFamilies: pages of 25 are the whole list by name then id, each family once", async () => {
    const expected = [...sent].sort((a, b) => compare(a.name, b.name) || compare(a.id, b.id)).map((f) => f.id);
    type Row = { id: string; familyName: string };
    const search = async (variables: Record<string, unknown>) => ok(await stack.gql<{ searchFamilies: Row[] }>(Q.searchFamiliesPage, { term: "page ", ...variables }, { token: finance })).searchFamilies;
    const all = await pages((after) => search({ first: 25, after }), 25);
    expect(all.map((p) => p.length)).toEqual([25, 25, 25, 25, 20]);
    const ids = all.flat().map((f) => f.id);
    expect(ids).toEqual(expected);
    expect(new Set(ids).size).toBe(FAMILIES);
    // One page of everything is the same list; `limit` with `after` pages too; first = limit is fine.
    expect((await search({ limit: 500 })).map((f) => f.id)).toEqual(expected);
    expect((await search({ limit: 10, after: expected[49] })).map((f) => f.id)).toEqual(expected.slice(50, 60));
    expect((await search({ first: 10, limit: 10, after: expected[109] })).map((f) => f.id)).toEqual(expected.slice(110, 120));
    expect(await search({ first: 10, after: expected[119] })).toEqual([]);
  });

  it("atRiskFamilies: pages of 7 are the whole list in the contract's order then id, each family once", async () => {
    const expected = sent
      .filter((f) => f.enrolled && f.riskScore >= 70)
      .sort(
        (a, b) =>
          b.riskScore - a.riskScore ||
          Number(b.lastContact === null) - Number(a.lastContact === null) ||
          compare(a.lastContact ?? "", b.lastContact ?? "") ||
          compare(a.name, b.name) ||
          compare(a.id, b.id),
      )
      .map((f) => f.id);
    expect(expected).toHaveLength(59);
    type Row = { id: string; familyId: string; riskScore: number };
    const atRisk = async (variables: Record<string, unknown>) => ok(await stack.gql<{ atRiskFamilies: Row[] }>(Q.atRiskFamiliesPage, variables, { token: coordinator })).atRiskFamilies;
    const all = await pages((after) => atRisk({ first: 7, after }), 7);
    expect(all).toHaveLength(9);
    const rows = all.flat();
    expect(rows.map((r) => r.id)).toEqual(expected);
    expect(rows.every((r) => r.id === r.familyId)).toBe(true);
    expect((await atRisk({ limit: 500 })).map((r) => r.id)).toEqual(expected);
    // A higher minimum pages over its own shorter list.
    const above80 = expected.filter((id) => sent.find((f) => f.id === id)!.riskScore >= 80);
    expect((await pages((after) => atRisk({ min: 80, first: 5, after }), 5)).flat().map((r) => r.id)).toEqual(above80);
  });

  it("an `after` the list does not hold: BAD_USER_INPUT on after", async () => {
    const withdrawn = sent.find((f) => !f.enrolled)!.id;
    const lowRisk = sent.find((f) => f.riskScore < 70)!.id;
    const medium = sent.find((f) => f.enrolled && f.riskScore === 75)!.id;
    const cases: [string, Record<string, unknown>, string][] = [
      [Q.atRiskFamiliesPage, { first: 5, after: withdrawn }, "a withdrawn family"],
      [Q.atRiskFamiliesPage, { first: 5, after: lowRisk }, "a family below the minimum"],
      [Q.atRiskFamiliesPage, { min: 80, first: 5, after: medium }, "a family below this minimum"],
      [Q.atRiskFamiliesPage, { first: 5, after: otherFamily }, "another tenant's family"],
      [Q.searchFamiliesPage, { term: "page", first: 5, after: richId }, "a family the term does not match"],
      [Q.searchFamiliesPage, { term: "page", first: 5, after: otherFamily }, "another tenant's family"],
    ];
    for (const [document, variables, what] of cases) {
      const result = await stack.gql(document, variables, { token: admin });
      expect(firstError(result).extensions, what).toMatchObject({ code: "BAD_USER_INPUT", field: "after" });
    }
  });
});

describe("money past 2^31 cents", () => {
  const total = 220 * 10_000_000;

  it("the family, its search result and the month's analytics read 2,200,000,000 cents exactly", async () => {
    expect(total).toBeGreaterThan(2 ** 31);
    const family = ok(await stack.gql<{ family: { totalPaidCents: number; paymentCount: number } }>(Q.family, { id: richId }, { token: finance })).family;
    expect(family).toMatchObject({ totalPaidCents: total, paymentCount: 220 });
    const found = ok(await stack.gql<{ searchFamilies: unknown[] }>(Q.searchFamiliesPage, { term: "rich" }, { token: finance })).searchFamilies;
    expect(found).toEqual([{ id: richId, familyName: "Rich Family", totalPaidCents: total }]);
    const month = `${today.slice(0, 7)}-01`;
    const analytics = ok(await stack.gql<{ paymentAnalytics: unknown[] }>(Q.paymentAnalytics, { from: month, to: today }, { token: finance })).paymentAnalytics;
    expect(analytics).toEqual([
      {
        month,
        paymentCount: 220,
        familiesPaid: 1,
        revenueCollectedCents: total,
        paidOnTime: 220,
        paidLate: 0,
        avgDaysLate: null,
        methodBreakdown: [{ method: "CARD", count: 220, amountCents: total }],
      },
    ]);
  });
});
