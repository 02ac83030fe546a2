import { ERASED, type FamilyEvent, type Guardian, type JsonValue, type RiskTier } from "@coop/domain";
import type { RecordedEvent } from "@coop/event-store";
import { dayNumber, describeEvent, foldByStream, laterDate, splitStreamKey, streamKey, streamKeys } from "./fold";
import { upsertRows, replaceAll, selectByKeys, FAMILY_KEY, type Column } from "./sql";
import { ANY_ROLE, tableName, type ProjectionDefinition } from "./types";

export interface ChildEntry {
  name: string;
  birthDate: string;
}

/** One family_views row, in memory. Dates are `YYYY-MM-DD`; cents and days are safe integers. */
export interface FamilyViewRow {
  tenantId: string;
  familyId: string;
  familyName: string;
  status: "ENROLLED" | "WITHDRAWN" | "FORGOTTEN";
  enrollmentDate: string;
  parentName: string;
  email: string;
  phone: string | null;
  guardians: Guardian[];
  children: ChildEntry[];
  childrenCount: number;
  oldestChildBirthDate: string | null;
  totalPaidCents: number;
  paymentCount: number;
  lastPaymentDate: string | null;
  latePaymentCount: number;
  totalDaysLate: number;
  engagementScore: number;
  riskScore: number;
  riskTier: RiskTier;
  riskFactors: JsonValue | null;
  assignedCoordinator: string | null;
  lastContactDate: string | null;
  searchText: string;
  version: number;
  updatedAt: Date;
}

/** What the gateway searches (ILIKE, trigram index): the family's name and its children's. */
export function searchText(familyName: string, children: readonly ChildEntry[]): string {
  return [familyName, ...children.map((c) => c.name)].join("\n");
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** An erased guardian: nothing of the person is left. */
const ERASED_GUARDIAN: Guardian = Object.freeze({ name: ERASED, email: ERASED, phone: null });

/**
 * Pure: the row after one event of the family's stream. Events come in stream order; one the row
 * already holds (its version) changes nothing, and a type this projection does not handle only
 * moves the version (the row follows the stream: `Family.version` is the stream's version).
 */
export function evolveFamilyView(row: FamilyViewRow | null, event: RecordedEvent): FamilyViewRow {
  if (row !== null && event.streamVersion <= row.version) return row;
  const e = { type: event.type, data: event.data } as FamilyEvent;
  if (e.type === "FamilyEnrolled") {
    if (row !== null) throw new Error(`family-detail: ${describeEvent(event)} for a family that already has a row (version ${row.version})`);
    const guardian = e.data.guardians[0];
    if (!guardian) throw new Error(`family-detail: ${describeEvent(event)} has no guardian`);
    return {
      tenantId: event.tenantId,
      familyId: event.streamId,
      familyName: e.data.familyName,
      status: "ENROLLED",
      enrollmentDate: e.data.enrollmentDate,
      parentName: guardian.name,
      email: guardian.email,
      phone: guardian.phone ?? null,
      guardians: e.data.guardians,
      children: [],
      childrenCount: 0,
      oldestChildBirthDate: null,
      totalPaidCents: 0,
      paymentCount: 0,
      lastPaymentDate: null,
      latePaymentCount: 0,
      totalDaysLate: 0,
      engagementScore: 0,
      riskScore: 0,
      riskTier: "LOW",
      riskFactors: null,
      assignedCoordinator: null,
      lastContactDate: null,
      searchText: searchText(e.data.familyName, []),
      version: event.streamVersion,
      updatedAt: event.recordedAt,
    };
  }
  if (row === null) throw new Error(`family-detail: ${describeEvent(event)} for a family with no row (not enrolled, or an event was lost)`);
  const next: FamilyViewRow = { ...row, version: event.streamVersion, updatedAt: event.recordedAt };
  switch (e.type) {
    case "ChildAdded": {
      next.childrenCount = row.childrenCount + 1;
      const birth = e.data.birthDate;
      // A child read after its family was forgotten (erased: no date) counts, but is not listed.
      if (!DATE.test(birth)) return next;
      const children = [...row.children, { name: e.data.childName, birthDate: birth }];
      next.children = children;
      next.oldestChildBirthDate = row.oldestChildBirthDate === null || birth < row.oldestChildBirthDate ? birth : row.oldestChildBirthDate;
      next.searchText = searchText(row.familyName, children);
      return next;
    }
    case "PaymentReceived": {
      next.totalPaidCents = row.totalPaidCents + e.data.amountCents;
      next.paymentCount = row.paymentCount + 1;
      next.lastPaymentDate = laterDate(row.lastPaymentDate, e.data.paidOn);
      if (e.data.dueOn !== null && e.data.paidOn > e.data.dueOn) {
        next.latePaymentCount = row.latePaymentCount + 1;
        next.totalDaysLate = row.totalDaysLate + (dayNumber(e.data.paidOn) - dayNumber(e.data.dueOn));
      }
      return next;
    }
    case "EngagementScoreUpdated":
      next.engagementScore = e.data.score;
      return next;
    case "RiskAssessed":
      next.riskScore = e.data.score;
      next.riskTier = e.data.tier;
      next.riskFactors = e.data.factors ?? null;
      return next;
    case "ContactRecorded":
      next.lastContactDate = laterDate(row.lastContactDate, e.data.contactedOn);
      return next;
    case "CoordinatorAssigned":
      next.assignedCoordinator = e.data.coordinator;
      return next;
    case "FamilyWithdrawn":
      next.status = "WITHDRAWN";
      return next;
    case "FamilyForgotten":
      // Nothing personal is left (CONTRACT section 8); totals and scores stay, and search no longer finds it.
      next.status = "FORGOTTEN";
      next.familyName = ERASED;
      next.parentName = ERASED;
      next.email = ERASED;
      next.phone = null;
      next.guardians = row.guardians.map(() => ERASED_GUARDIAN);
      next.children = [];
      next.oldestChildBirthDate = null;
      next.riskFactors = null;
      next.searchText = "";
      return next;
    default:
      return next; // not one of ours (a comment, say): the row follows the stream's version only
  }
}

const KEY = FAMILY_KEY;

const COLUMNS: Column[] = [
  ...KEY,
  { name: "family_name", type: "text" },
  { name: "status", type: '"FamilyStatus"' },
  { name: "enrollment_date", type: "date" },
  { name: "parent_name", type: "text" },
  { name: "email", type: "text" },
  { name: "phone", type: "text" },
  { name: "guardians", type: "jsonb" },
  { name: "children", type: "jsonb" },
  { name: "children_count", type: "int" },
  { name: "oldest_child_birth_date", type: "date" },
  { name: "total_paid_cents", type: "bigint" },
  { name: "payment_count", type: "int" },
  { name: "last_payment_date", type: "date" },
  { name: "late_payment_count", type: "int" },
  { name: "total_days_late", type: "bigint" },
  { name: "engagement_score", type: "int" },
  { name: "risk_score", type: "int" },
  { name: "risk_tier", type: '"RiskTier"' },
  { name: "risk_factors", type: "jsonb" },
  { name: "assigned_coordinator", type: "text" },
  { name: "last_contact_date", type: "date" },
  { name: "search_text", type: "text" },
  { name: "version", type: "int" },
  { name: "updated_at", type: "timestamptz" },
];

interface FamilyViewDbRow {
  tenant_id: string;
  family_id: string;
  family_name: string;
  status: "ENROLLED" | "WITHDRAWN" | "FORGOTTEN";
  enrollment_date: string;
  parent_name: string;
  email: string;
  phone: string | null;
  guardians: Guardian[];
  children: ChildEntry[];
  children_count: number;
  oldest_child_birth_date: string | null;
  total_paid_cents: string;
  payment_count: number;
  last_payment_date: string | null;
  late_payment_count: number;
  total_days_late: string;
  engagement_score: number;
  risk_score: number;
  risk_tier: RiskTier;
  risk_factors: JsonValue | null;
  assigned_coordinator: string | null;
  last_contact_date: string | null;
  search_text: string;
  version: number;
  updated_at: Date;
}

// Dates and enums as text, so the row does not depend on process-wide pg type parsers.
const SELECT_LIST = COLUMNS.map((c) =>
  c.type === "date" || c.type.startsWith('"') || c.type === "uuid" || c.type === "bigint" ? `"${c.name}"::text AS "${c.name}"` : `"${c.name}"`,
).join(", ");

function safeInteger(value: string, what: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`family-detail: ${what} ${value} is beyond the safe integer range`);
  return n;
}

function fromDb(r: FamilyViewDbRow): FamilyViewRow {
  return {
    tenantId: r.tenant_id,
    familyId: r.family_id,
    familyName: r.family_name,
    status: r.status,
    enrollmentDate: r.enrollment_date,
    parentName: r.parent_name,
    email: r.email,
    phone: r.phone,
    guardians: r.guardians,
    children: r.children,
    childrenCount: r.children_count,
    oldestChildBirthDate: r.oldest_child_birth_date,
    totalPaidCents: safeInteger(r.total_paid_cents, "total_paid_cents"),
    paymentCount: r.payment_count,
    lastPaymentDate: r.last_payment_date,
    latePaymentCount: r.late_payment_count,
    totalDaysLate: safeInteger(r.total_days_late, "total_days_late"),
    engagementScore: r.engagement_score,
    riskScore: r.risk_score,
    riskTier: r.risk_tier,
    riskFactors: r.risk_factors,
    assignedCoordinator: r.assigned_coordinator,
    lastContactDate: r.last_contact_date,
    searchText: r.search_text,
    version: r.version,
    updatedAt: r.updated_at,
  };
}

const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));

function toDb(r: FamilyViewRow): unknown[] {
  return [
    r.tenantId,
    r.familyId,
    r.familyName,
    r.status,
    r.enrollmentDate,
    r.parentName,
    r.email,
    r.phone,
    json(r.guardians),
    json(r.children),
    r.childrenCount,
    r.oldestChildBirthDate,
    String(r.totalPaidCents),
    r.paymentCount,
    r.lastPaymentDate,
    r.latePaymentCount,
    String(r.totalDaysLate),
    r.engagementScore,
    r.riskScore,
    r.riskTier,
    json(r.riskFactors),
    r.assignedCoordinator,
    r.lastContactDate,
    r.searchText,
    r.version,
    r.updatedAt.toISOString(),
  ];
}

export const familyDetailProjection: ProjectionDefinition = {
  name: "family-detail",
  version: 1,
  handles: ["FamilyEnrolled", "ChildAdded", "PaymentReceived", "EngagementScoreUpdated", "RiskAssessed", "ContactRecorded", "CoordinatorAssigned", "FamilyWithdrawn", "FamilyForgotten"],
  followsStreams: ["Family"],
  // Gateways push each family's new version to its subscribers (familyChanged, tenantActivity).
  announcesChanges: true,
  tables: [{ name: "family_views", readers: ANY_ROLE, searchView: "family_views_search" }],
  async apply(client, events, tables) {
    if (events.length === 0) return;
    const table = tableName(tables, "family_views");
    const rows = await selectByKeys<FamilyViewDbRow>(client, table, SELECT_LIST, KEY, streamKeys(events));
    const loaded = new Map(rows.map((r) => [streamKey(r.tenant_id, r.family_id), fromDb(r)]));
    const { upserts, deletes } = foldByStream(events, loaded, evolveFamilyView);
    if (deletes.length > 0) {
      // evolveFamilyView never returns null: a family's row outlives its withdrawal.
      throw new Error(`family-detail: rows would be deleted (${deletes.map((k) => splitStreamKey(k).join("/")).join(", ")})`);
    }
    await upsertRows(client, table, COLUMNS, upserts.map(toDb), ["tenant_id", "family_id"], replaceAll(COLUMNS, ["tenant_id", "family_id"]));
  },
};
