// Read-model queries of the family feature: plain, indexed reads, one round trip per query, as the
// reader role under row-level security (reads/tenant-reader.ts) and always filtered by the viewer's
// tenant as well. Rows are mapped to the GraphQL shapes here.
import type { AtRiskFamily as AtRiskRow, FamilyView } from "@coop/database";
import { EventStore, type EventCodec } from "@coop/event-store";
import type { ReadDeps } from "../context";
import { afterNotInList, type Page } from "../graphql/arguments";
import { addYears, daysBetween, firstOfMonth, wholeYears } from "../graphql/dates";
import { formatDate } from "../graphql/scalars";
import { isUuid, toSafeNumber } from "../graphql/values";
import type { ReadScope, TenantReader } from "../reads/tenant-reader";
import { familyAsOf } from "./family-as-of";
import type { AtRiskFamily, Child, DomainEvent, Family, MethodTotal, PaymentMonth, PaymentMethod, RiskTier, RiskTierSummary } from "./family.types";

function optionalDate(value: Date | string | null): string | null {
  return value === null ? null : formatDate(value);
}

/** `LIKE` wildcards and the escape character, escaped (backslash is PostgreSQL's default escape). */
export function escapeLike(term: string): string {
  return term.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function toFamily(row: FamilyView, today: string): Family {
  const oldest = optionalDate(row.oldestChildBirthDate);
  const lateCount = row.latePaymentCount;
  const children = Array.isArray(row.children) ? (row.children as unknown as { name: string; birthDate: string }[]) : [];
  return {
    id: row.familyId,
    familyName: row.familyName,
    status: row.status,
    enrollmentDate: formatDate(row.enrollmentDate),
    parentName: row.parentName,
    email: row.email,
    phone: row.phone,
    children: children.map((c): Child => ({ name: c.name, birthDate: c.birthDate })),
    childrenCount: row.childrenCount,
    oldestChildAge: oldest === null ? null : wholeYears(oldest, today),
    totalPaidCents: toSafeNumber(row.totalPaidCents),
    paymentCount: row.paymentCount,
    lastPaymentDate: optionalDate(row.lastPaymentDate),
    avgDaysLate: lateCount > 0 ? toSafeNumber(row.totalDaysLate) / lateCount : null,
    engagementScore: row.engagementScore,
    riskScore: row.riskScore,
    riskTier: row.riskTier,
    riskFactors: row.riskFactors ?? null,
    assignedCoordinator: row.assignedCoordinator,
    lastContactDate: optionalDate(row.lastContactDate),
    version: row.version,
    updatedAt: row.updatedAt,
  };
}

/** family_views columns under the model's field names. */
const FAMILY_COLUMNS = `tenant_id AS "tenantId", family_id::text AS "familyId", family_name AS "familyName", status::text AS status,
  enrollment_date AS "enrollmentDate", parent_name AS "parentName", email, phone, guardians, children,
  children_count AS "childrenCount", oldest_child_birth_date AS "oldestChildBirthDate", total_paid_cents AS "totalPaidCents",
  payment_count AS "paymentCount", last_payment_date AS "lastPaymentDate", late_payment_count AS "latePaymentCount",
  total_days_late AS "totalDaysLate", engagement_score AS "engagementScore", risk_score AS "riskScore", risk_tier::text AS "riskTier",
  risk_factors AS "riskFactors", assigned_coordinator AS "assignedCoordinator", last_contact_date AS "lastContactDate",
  search_text AS "searchText", version, updated_at AS "updatedAt"`;

const FAMILY_SQL = `SELECT ${FAMILY_COLUMNS} FROM family_views WHERE tenant_id = $1 AND family_id = $2::uuid`;

/** Several families at once (live updates: every family changed in one announcement batch). */
const FAMILIES_SQL = `SELECT ${FAMILY_COLUMNS} FROM family_views WHERE tenant_id = $1 AND family_id = ANY($2::uuid[])`;

const SEARCH_FILTER = `tenant_id = $1 AND search_text ILIKE '%' || $2 || '%'`;

/**
 * Searches read family_views through family_views_search: under row-level security PostgreSQL
 * would not use the trigram index for ILIKE, and the view applies the readers' condition itself
 * (TableAccess.searchView in @coop/database). The owner, without the settings, reads the table.
 */
const SEARCHED: Record<TenantReader["readAs"], string> = { reader: "family_views_search", owner: "family_views" };

/** The trigram index or the name order: which is faster depends on the term, so each search is planned for its own. */
const PLANNED_PER_TERM = { planEachCall: true } as const;

/** Ordered by family name, then id: a total order, so that pages neither skip nor repeat. */
const searchSql = (relation: string) => `SELECT ${FAMILY_COLUMNS} FROM ${relation}
WHERE ${SEARCH_FILTER}
ORDER BY family_name, family_id
LIMIT $3`;

/**
 * The page after family $4, in one round trip: the anchor's sort key is read in the same query.
 * One row with "anchorFound" false when $4 is not in the list (unknown, another tenant's, or not
 * matching the term); one row of nulls with "anchorFound" true when the page is empty.
 */
const searchAfterSql = (relation: string) => `WITH anchor AS (
  SELECT family_name AS anchor_name, family_id AS anchor_id FROM ${relation} WHERE ${SEARCH_FILTER} AND family_id = $4::uuid
)
SELECT (SELECT count(*) FROM anchor) > 0 AS "anchorFound", page.* FROM (SELECT 1) AS one
LEFT JOIN LATERAL (
  SELECT ${FAMILY_COLUMNS} FROM ${relation}, anchor
  WHERE ${SEARCH_FILTER} AND (family_name, family_id) > (anchor_name, anchor_id)
  ORDER BY family_name, family_id
  LIMIT $3
) AS page ON true
ORDER BY page."familyName", page."familyId"`;

/** Enrolled families by tier (the order is the caller's); averages as PostgreSQL's numeric text. */
const TIERS_SQL = `SELECT risk_tier::text AS "riskTier", count(*)::int AS families,
  avg(engagement_score)::text AS "avgEngagement", avg(risk_score)::text AS "avgRisk"
FROM family_views
WHERE tenant_id = $1 AND status = 'ENROLLED'
GROUP BY risk_tier`;

/** at_risk_families columns under the model's field names. */
const AT_RISK_COLUMNS = `family_id::text AS "familyId", family_name AS "familyName", risk_score AS "riskScore", risk_tier::text AS "riskTier",
  risk_factors AS "riskFactors", never_contacted AS "neverContacted", last_contact_date AS "lastContactDate",
  assigned_coordinator AS "assignedCoordinator"`;

/** CONTRACT's order, made total by the family id (at_risk_families_order_idx serves its prefix). */
const AT_RISK_ORDER = "risk_score DESC, never_contacted DESC, last_contact_date ASC NULLS LAST, family_name ASC, family_id ASC";

const AT_RISK_SQL = `SELECT ${AT_RISK_COLUMNS} FROM at_risk_families
WHERE tenant_id = $1 AND risk_score >= $2
ORDER BY ${AT_RISK_ORDER}
LIMIT $3`;

/**
 * The page after family $4 (as SEARCH_AFTER_SQL). A row comes after the anchor in the order above,
 * column by column: a lower score; or the same and contacted where the anchor was not; or the same
 * and a later last contact (never, NULL, sorts last); or the same date (or both never) and a later
 * name; or the same name and a greater id.
 */
const AT_RISK_AFTER_SQL = `WITH anchor AS (
  SELECT risk_score AS a_score, never_contacted AS a_never, last_contact_date AS a_last, family_name AS a_name, family_id AS a_id
  FROM at_risk_families WHERE tenant_id = $1 AND risk_score >= $2 AND family_id = $4::uuid
)
SELECT (SELECT count(*) FROM anchor) > 0 AS "anchorFound", page.* FROM (SELECT 1) AS one
LEFT JOIN LATERAL (
  SELECT ${AT_RISK_COLUMNS} FROM at_risk_families, anchor
  WHERE tenant_id = $1 AND risk_score >= $2 AND (
    risk_score < a_score OR (risk_score = a_score AND (
      never_contacted < a_never OR (never_contacted = a_never AND (
        last_contact_date > a_last OR (last_contact_date IS NULL AND a_last IS NOT NULL)
        OR (last_contact_date IS NOT DISTINCT FROM a_last AND (
          family_name > a_name OR (family_name = a_name AND family_id > a_id))))))))
  ORDER BY ${AT_RISK_ORDER}
  LIMIT $3
) AS page ON true
ORDER BY page."riskScore" DESC, page."neverContacted" DESC, page."lastContactDate" ASC NULLS LAST, page."familyName", page."familyId"`;

type Anchored<T> = { anchorFound: boolean } & { [K in keyof T]: T[K] | null };

/** The rows of a page query; throws BAD_USER_INPUT on `after` when its anchor is not in the list. */
function pageRows<T extends { familyId: string }>(rows: Anchored<T>[]): T[] {
  if (rows.length === 0 || !rows[0]!.anchorFound) throw afterNotInList();
  return rows.filter((row) => row.familyId !== null) as unknown as T[];
}

const INTERVENTION: Record<RiskTier, string> = { CRITICAL: "HOME_VISIT", HIGH: "PHONE_CALL", MEDIUM: "EMAIL", LOW: "EMAIL" };
const TIER_ORDER: readonly RiskTier[] = ["CRITICAL", "HIGH", "MEDIUM", "LOW"];

const PAYMENT_MONTHS_SQL = `SELECT m.month, m.payment_count AS "paymentCount", m.families_paid AS "familiesPaid",
  m.revenue_cents AS "revenueCents", m.paid_on_time AS "paidOnTime", m.paid_late AS "paidLate", m.total_days_late AS "totalDaysLate",
  coalesce((SELECT json_agg(json_build_object('method', mm.method, 'count', mm.count, 'amountCents', mm.amount_cents::text))
              FROM payment_month_methods mm WHERE mm.tenant_id = m.tenant_id AND mm.month = m.month), '[]'::json) AS methods
FROM payment_months m
WHERE m.tenant_id = $1 AND m.month >= $2::date AND m.month <= $3::date
ORDER BY m.month DESC`;

interface PaymentMonthRow {
  month: Date | string;
  paymentCount: number;
  familiesPaid: number;
  revenueCents: bigint | number;
  paidOnTime: number;
  paidLate: number;
  totalDaysLate: bigint | number;
  methods: { method: PaymentMethod; count: number; amountCents: string }[];
}

type AtRiskDbRow = Pick<AtRiskRow, "familyId" | "familyName" | "riskScore" | "riskTier" | "riskFactors" | "neverContacted" | "lastContactDate" | "assignedCoordinator">;

/** Every query takes the viewer (its tenant and roles) first: the rows it may see are its tenant's. */
export class FamilyQueries {
  private readonly reader: TenantReader;
  private readonly searchSql: { first: string; after: string };

  private readonly codec: EventCodec | null;

  constructor({ reader, codec }: ReadDeps) {
    this.reader = reader;
    this.codec = codec;
    this.searchSql = { first: searchSql(SEARCHED[reader.readAs]), after: searchAfterSql(SEARCHED[reader.readAs]) };
  }

  async family(viewer: ReadScope, id: string, today: string): Promise<Family | null> {
    if (!isUuid(id)) return null;
    const [row] = await this.reader.rows<FamilyView>(viewer, FAMILY_SQL, [viewer.tenantId, id.toLowerCase()]);
    return row ? toFamily(row, today) : null;
  }

  /** The families of these ids that the viewer may read, in one round trip (unknown ids left out). */
  async families(viewer: ReadScope, ids: readonly string[], today: string): Promise<Family[]> {
    const valid = ids.filter(isUuid).map((id) => id.toLowerCase());
    if (valid.length === 0) return [];
    const rows = await this.reader.rows<FamilyView>(viewer, FAMILIES_SQL, [viewer.tenantId, valid]);
    return rows.map((row) => toFamily(row, today));
  }

  async search(viewer: ReadScope, term: string, page: Page, today: string): Promise<Family[]> {
    const { tenantId } = viewer;
    const rows =
      page.after === null
        ? await this.reader.rows<FamilyView>(viewer, this.searchSql.first, [tenantId, escapeLike(term), page.size], PLANNED_PER_TERM)
        : pageRows(await this.reader.rows<Anchored<FamilyView>>(viewer, this.searchSql.after, [tenantId, escapeLike(term), page.size, page.after], PLANNED_PER_TERM));
    return rows.map((row) => toFamily(row, today));
  }

  async atRisk(viewer: ReadScope, minRiskScore: number, page: Page, today: string): Promise<AtRiskFamily[]> {
    const { tenantId } = viewer;
    const rows =
      page.after === null
        ? await this.reader.rows<AtRiskDbRow>(viewer, AT_RISK_SQL, [tenantId, minRiskScore, page.size])
        : pageRows(await this.reader.rows<Anchored<AtRiskDbRow>>(viewer, AT_RISK_AFTER_SQL, [tenantId, minRiskScore, page.size, page.after]));
    return rows.map((row) => {
      const lastContactDate = optionalDate(row.lastContactDate);
      return {
        id: row.familyId,
        familyId: row.familyId,
        familyName: row.familyName,
        riskScore: row.riskScore,
        riskTier: row.riskTier,
        riskFactors: row.riskFactors ?? null,
        recommendedIntervention: INTERVENTION[row.riskTier],
        lastContactDate,
        daysSinceContact: lastContactDate === null ? null : daysBetween(lastContactDate, today),
        assignedCoordinator: row.assignedCoordinator,
      };
    });
  }

  async byRiskTier(viewer: ReadScope): Promise<RiskTierSummary[]> {
    const groups = await this.reader.rows<{ riskTier: RiskTier; families: number; avgEngagement: string | null; avgRisk: string | null }>(viewer, TIERS_SQL, [viewer.tenantId]);
    return groups
      .map((g) => ({
        riskTier: g.riskTier,
        families: g.families,
        avgEngagement: Number(g.avgEngagement ?? 0),
        avgRisk: Number(g.avgRisk ?? 0),
      }))
      .sort((a, b) => TIER_ORDER.indexOf(a.riskTier) - TIER_ORDER.indexOf(b.riskTier));
  }

  /** Months from the first day of `from`'s month to `to`, newest first. */
  async paymentMonths(viewer: ReadScope, from: string, to: string): Promise<PaymentMonth[]> {
    const rows = await this.reader.rows<PaymentMonthRow>(viewer, PAYMENT_MONTHS_SQL, [viewer.tenantId, firstOfMonth(from), to]);
    return rows.map((row) => ({
      month: formatDate(row.month),
      paymentCount: row.paymentCount,
      familiesPaid: row.familiesPaid,
      revenueCollectedCents: toSafeNumber(row.revenueCents),
      paidOnTime: row.paidOnTime,
      paidLate: row.paidLate,
      avgDaysLate: row.paidLate > 0 ? toSafeNumber(row.totalDaysLate) / row.paidLate : null,
      methodBreakdown: row.methods
        .map((m): MethodTotal => ({ method: m.method, count: m.count, amountCents: toSafeNumber(BigInt(m.amountCents)) }))
        .sort((a, b) => (a.method < b.method ? -1 : a.method > b.method ? 1 : 0)),
    }));
  }

  /** The family as it was at `asOf`, folded from its events under the viewer's settings (null before its enrolment). */
  async familyAsOf(viewer: ReadScope, id: string, asOf: Date, today: string): Promise<Family | null> {
    if (!isUuid(id)) return null;
    return this.reader.transaction(viewer, (client) => familyAsOf(new EventStore(client, { codec: this.codec ?? undefined }), viewer.tenantId, id, asOf, today));
  }

  /** The family's stream as stored (raw, with stored schema versions), in order; [] if none. */
  async history(viewer: ReadScope, id: string): Promise<DomainEvent[]> {
    if (!isUuid(id)) return [];
    // The event store's own query, on the reader's connection and under the viewer's settings; the
    // personal fields opened with the family's key (erased once it is forgotten).
    const events = await this.reader.transaction(viewer, (client) =>
      new EventStore(client, { codec: this.codec ?? undefined }).readStream({ tenantId: viewer.tenantId, streamType: "Family", streamId: id.toLowerCase() }, 0, { stored: true }),
    );
    return events.map((e) => ({
      position: e.position,
      version: e.streamVersion,
      type: e.type,
      schemaVersion: e.schemaVersion,
      recordedAt: e.recordedAt,
      data: e.data,
      metadata: e.metadata,
    }));
  }
}

/** `to` may be at most ten years after `from`. */
export function spanWithinYears(from: string, to: string, years: number): boolean {
  return to <= addYears(from, years);
}
