import type { FamilyEvent, PaymentMethod } from "@coop/domain";
import type { RecordedEvent } from "@coop/event-store";
import { dayNumber, describeEvent } from "./fold";
import { ident, prepared, toColumns, unnestSource, type Column } from "./sql";
import { tableName, type ProjectionDefinition } from "./types";

/** What one payment contributes to its month. */
export interface PaymentFact {
  tenantId: string;
  familyId: string;
  /** First day of the month of paidOn, `YYYY-MM-01`. */
  month: string;
  method: PaymentMethod;
  amountCents: number;
  /** Paid after dueOn (when dueOn is given). */
  late: boolean;
  daysLate: number;
  recordedAt: Date;
}

/** Pure: the facts of one PaymentReceived; any other type is an error. */
export function paymentFact(event: RecordedEvent): PaymentFact {
  const e = { type: event.type, data: event.data } as FamilyEvent;
  if (e.type !== "PaymentReceived") {
    throw new Error(`payment-analytics: no reducer for event type ${event.type} (${describeEvent(event)})`);
  }
  const { paidOn, dueOn } = e.data;
  const daysLate = dueOn !== null && paidOn > dueOn ? dayNumber(paidOn) - dayNumber(dueOn) : 0;
  return {
    tenantId: event.tenantId,
    familyId: event.streamId,
    month: `${paidOn.slice(0, 7)}-01`,
    method: e.data.method,
    amountCents: e.data.amountCents,
    late: daysLate > 0,
    daysLate,
    recordedAt: event.recordedAt,
  };
}

export interface MonthDelta {
  tenantId: string;
  month: string;
  paymentCount: number;
  revenueCents: number;
  paidOnTime: number;
  paidLate: number;
  totalDaysLate: number;
  /** The latest recordedAt of the month's payments: the same whatever the batching and whichever lane commits last. */
  updatedAt: Date;
}

export interface MethodDelta {
  tenantId: string;
  month: string;
  method: PaymentMethod;
  count: number;
  amountCents: number;
}

export interface PaymentDeltas {
  months: Map<string, MonthDelta>;
  methods: Map<string, MethodDelta>;
  /** (tenant, month, family) pairs that paid in the batch: candidates for families_paid. */
  families: Map<string, [tenantId: string, month: string, familyId: string]>;
}

/**
 * Pure: what a batch adds to each month. Counts are additive, so the batch is written as
 * increments; families_paid is the one count that is not, and is settled against
 * payment_month_families by apply.
 */
export function accumulatePayments(events: readonly RecordedEvent[]): PaymentDeltas {
  const deltas: PaymentDeltas = { months: new Map(), methods: new Map(), families: new Map() };
  for (const event of events) {
    const f = paymentFact(event);
    const monthKey = `${f.tenantId}\u0000${f.month}`;
    let month = deltas.months.get(monthKey);
    if (!month) {
      month = { tenantId: f.tenantId, month: f.month, paymentCount: 0, revenueCents: 0, paidOnTime: 0, paidLate: 0, totalDaysLate: 0, updatedAt: f.recordedAt };
      deltas.months.set(monthKey, month);
    }
    month.paymentCount += 1;
    month.revenueCents += f.amountCents;
    if (f.late) month.paidLate += 1;
    else month.paidOnTime += 1;
    month.totalDaysLate += f.daysLate;
    if (f.recordedAt > month.updatedAt) month.updatedAt = f.recordedAt;

    const methodKey = `${monthKey}\u0000${f.method}`;
    let method = deltas.methods.get(methodKey);
    if (!method) {
      method = { tenantId: f.tenantId, month: f.month, method: f.method, count: 0, amountCents: 0 };
      deltas.methods.set(methodKey, method);
    }
    method.count += 1;
    method.amountCents += f.amountCents;

    deltas.families.set(`${monthKey}\u0000${f.familyId}`, [f.tenantId, f.month, f.familyId]);
  }
  return deltas;
}

/** A month's increments as apply passes them; families_paid is counted in the statement. */
const MONTH_INPUT_COLUMNS: Column[] = [
  { name: "tenant_id", type: "text" },
  { name: "month", type: "date" },
  { name: "payment_count", type: "int" },
  { name: "revenue_cents", type: "bigint" },
  { name: "paid_on_time", type: "int" },
  { name: "paid_late", type: "int" },
  { name: "total_days_late", type: "bigint" },
  { name: "updated_at", type: "timestamptz" },
];
const FAMILY_COLUMNS: Column[] = [
  { name: "tenant_id", type: "text" },
  { name: "month", type: "date" },
  { name: "family_id", type: "uuid" },
];
const METHOD_COLUMNS: Column[] = [
  { name: "tenant_id", type: "text" },
  { name: "month", type: "date" },
  { name: "method", type: '"PaymentMethod"' },
  { name: "count", type: "int" },
  { name: "amount_cents", type: "bigint" },
];

const add = (column: string) => `t.${ident(column)} + EXCLUDED.${ident(column)}`;
const columnList = (columns: readonly Column[]) => columns.map((c) => ident(c.name)).join(", ");

/**
 * The whole batch in one statement. A family counts once per month: only the (month, family)
 * pairs actually inserted add to families_paid. The month and method rows are shared by every lane
 * of this projection (each lane applies at once): their row locks are taken late (this is the
 * last statement before the lane's commit, so they are held for as little as possible) and in one
 * order for all (the methods, then the months, each in key order), so that two lanes never wait
 * for each other in a cycle. PostgreSQL runs data-modifying CTEs in no set order: the months' read
 * of `new_families` and of `added_methods` (a condition that is always true) is what puts them last.
 */
function applyStatement(months: string, families: string, methods: string): string {
  const monthsAt = 1 + FAMILY_COLUMNS.length;
  const methodsAt = monthsAt + MONTH_INPUT_COLUMNS.length;
  return `
WITH inserted_families AS (
  INSERT INTO ${ident(families)} (${columnList(FAMILY_COLUMNS)})
  SELECT * FROM ${unnestSource(FAMILY_COLUMNS, 1)}
  ON CONFLICT DO NOTHING
  RETURNING tenant_id, month
), new_families AS (
  SELECT tenant_id, month, count(*)::int AS n FROM inserted_families GROUP BY tenant_id, month
), added_methods AS (
  INSERT INTO ${ident(methods)} AS t (${columnList(METHOD_COLUMNS)})
  SELECT * FROM ${unnestSource(METHOD_COLUMNS, methodsAt)}
  ON CONFLICT (tenant_id, month, method) DO UPDATE SET count = ${add("count")}, amount_cents = ${add("amount_cents")}
  RETURNING 1
)
INSERT INTO ${ident(months)} AS t (tenant_id, month, payment_count, families_paid, revenue_cents, paid_on_time, paid_late, total_days_late, updated_at)
SELECT u.tenant_id, u.month, u.payment_count, coalesce(f.n, 0), u.revenue_cents, u.paid_on_time, u.paid_late, u.total_days_late, u.updated_at
FROM ${unnestSource(MONTH_INPUT_COLUMNS, monthsAt)}
LEFT JOIN new_families f ON f.tenant_id = u.tenant_id AND f.month = u.month
WHERE (SELECT count(*) FROM added_methods) >= 0
ORDER BY u.tenant_id, u.month
ON CONFLICT (tenant_id, month) DO UPDATE SET
  payment_count = ${add("payment_count")}, families_paid = ${add("families_paid")}, revenue_cents = ${add("revenue_cents")},
  paid_on_time = ${add("paid_on_time")}, paid_late = ${add("paid_late")}, total_days_late = ${add("total_days_late")},
  updated_at = greatest(t.updated_at, EXCLUDED.updated_at)`; // lanes commit in any order
}

/** A map's values in the order of its keys (mapped when `as` is given). */
function inKeyOrder<V, R = V>(map: ReadonlyMap<string, V>, as?: (value: V, key: string) => R): R[] {
  return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, value]) => (as ? as(value, key) : (value as unknown as R)));
}

export const paymentAnalyticsProjection: ProjectionDefinition = {
  name: "payment-analytics",
  version: 1,
  handles: ["PaymentReceived"],
  tables: [
    { name: "payment_months", readers: ["finance", "admin"] },
    { name: "payment_month_families", readers: ["finance", "admin"] },
    { name: "payment_month_methods", readers: ["finance", "admin"] },
  ],
  async apply(client, events, tables) {
    if (events.length === 0) return;
    const deltas = accumulatePayments(events);
    const families = inKeyOrder(deltas.families);
    const monthRows = inKeyOrder(deltas.months, (m) => [
      m.tenantId,
      m.month,
      m.paymentCount,
      String(m.revenueCents),
      m.paidOnTime,
      m.paidLate,
      String(m.totalDaysLate),
      m.updatedAt.toISOString(),
    ]);
    const methodRows = inKeyOrder(deltas.methods, (m) => [m.tenantId, m.month, m.method, m.count, String(m.amountCents)]);
    const text = applyStatement(tableName(tables, "payment_months"), tableName(tables, "payment_month_families"), tableName(tables, "payment_month_methods"));
    await client.query(prepared(text, [...toColumns(FAMILY_COLUMNS, families), ...toColumns(MONTH_INPUT_COLUMNS, monthRows), ...toColumns(METHOD_COLUMNS, methodRows)]));
  },
};

