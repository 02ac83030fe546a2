import type { FamilyEvent, PaymentMethod } from "@coop/domain";
import type { RecordedEvent } from "@coop/event-store";
import { dayNumber, describeEvent } from "./fold";
import { ident, insertNewRows, upsertRows, type Column } from "./sql";
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

const MONTH_COLUMNS: Column[] = [
  { name: "tenant_id", type: "text" },
  { name: "month", type: "date" },
  { name: "payment_count", type: "int" },
  { name: "families_paid", type: "int" },
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

    // A family counts once per month: only the pairs actually inserted add to families_paid.
    // Lanes of this projection write the same month rows at once: every statement takes its row
    // locks in key order, so that two of them never wait for each other in a cycle.
    const inserted = await insertNewRows<{ tenant_id: string; month: string }>(
      client,
      tableName(tables, "payment_month_families"),
      FAMILY_COLUMNS,
      inKeyOrder(deltas.families),
      "tenant_id, month::text AS month",
    );
    const newFamilies = new Map<string, number>();
    for (const r of inserted) {
      const key = `${r.tenant_id}\u0000${r.month}`;
      newFamilies.set(key, (newFamilies.get(key) ?? 0) + 1);
    }

    const monthRows = inKeyOrder(deltas.months, (m, key) => [
      m.tenantId,
      m.month,
      m.paymentCount,
      newFamilies.get(key) ?? 0,
      String(m.revenueCents),
      m.paidOnTime,
      m.paidLate,
      String(m.totalDaysLate),
      m.updatedAt.toISOString(),
    ]);
    await upsertRows(client, tableName(tables, "payment_months"), MONTH_COLUMNS, monthRows, ["tenant_id", "month"], {
      payment_count: add("payment_count"),
      families_paid: add("families_paid"),
      revenue_cents: add("revenue_cents"),
      paid_on_time: add("paid_on_time"),
      paid_late: add("paid_late"),
      total_days_late: add("total_days_late"),
      updated_at: "greatest(t.updated_at, EXCLUDED.updated_at)", // lanes commit in any order
    });

    const methodRows = inKeyOrder(deltas.methods, (m) => [m.tenantId, m.month, m.method, m.count, String(m.amountCents)]);
    await upsertRows(client, tableName(tables, "payment_month_methods"), METHOD_COLUMNS, methodRows, ["tenant_id", "month", "method"], {
      count: add("count"),
      amount_cents: add("amount_cents"),
    });
  },
};

