import type { FamilyEvent, JsonValue, RiskTier } from "@coop/domain";
import type { RecordedEvent } from "@coop/event-store";
import { describeEvent, foldByStream, laterDate, splitStreamKey, streamKey, streamKeys } from "./fold";
import { deleteByKeys, replaceAll, selectByKeys, upsertRows, FAMILY_KEY, type Column } from "./sql";
import { tableName, type ProjectionDefinition } from "./types";

/** One at_risk_families row: an enrolled family as the at-risk list needs it. */
export interface AtRiskRow {
  tenantId: string;
  familyId: string;
  familyName: string;
  riskScore: number;
  riskTier: RiskTier;
  riskFactors: JsonValue | null;
  neverContacted: boolean;
  lastContactDate: string | null;
  assignedCoordinator: string | null;
  updatedAt: Date;
}

/**
 * Pure: the row after one event; null once the family is withdrawn or forgotten (the list holds
 * enrolled families only). An event for a family without a row means a lost or reordered event: error.
 * (The table has no version column: stream order is asserted per batch by the runtime and in
 * full by family-detail, which sees every event.)
 */
export function evolveAtRisk(row: AtRiskRow | null, event: RecordedEvent): AtRiskRow | null {
  const e = { type: event.type, data: event.data } as FamilyEvent;
  if (e.type === "FamilyEnrolled") {
    if (row !== null) throw new Error(`at-risk: ${describeEvent(event)} for a family that already has a row`);
    return {
      tenantId: event.tenantId,
      familyId: event.streamId,
      familyName: e.data.familyName,
      riskScore: 0,
      riskTier: "LOW",
      riskFactors: null,
      neverContacted: true,
      lastContactDate: null,
      assignedCoordinator: null,
      updatedAt: event.recordedAt,
    };
  }
  // Forgetting a withdrawn family finds no row: either way the family is not listed.
  if (e.type === "FamilyForgotten") return null;
  if (row === null) {
    throw new Error(`at-risk: ${describeEvent(event)} for a family with no row (not enrolled, withdrawn, or an event was lost)`);
  }
  switch (e.type) {
    case "RiskAssessed":
      return { ...row, riskScore: e.data.score, riskTier: e.data.tier, riskFactors: e.data.factors ?? null, updatedAt: event.recordedAt };
    case "ContactRecorded":
      return {
        ...row,
        neverContacted: false,
        lastContactDate: laterDate(row.lastContactDate, e.data.contactedOn),
        updatedAt: event.recordedAt,
      };
    case "CoordinatorAssigned":
      return { ...row, assignedCoordinator: e.data.coordinator, updatedAt: event.recordedAt };
    case "FamilyWithdrawn":
      return null;
    default:
      throw new Error(`at-risk: no reducer for event type ${event.type} (${describeEvent(event)})`);
  }
}

const KEY = FAMILY_KEY;

const COLUMNS: Column[] = [
  ...KEY,
  { name: "family_name", type: "text" },
  { name: "risk_score", type: "int" },
  { name: "risk_tier", type: '"RiskTier"' },
  { name: "risk_factors", type: "jsonb" },
  { name: "never_contacted", type: "boolean" },
  { name: "last_contact_date", type: "date" },
  { name: "assigned_coordinator", type: "text" },
  { name: "updated_at", type: "timestamptz" },
];

interface AtRiskDbRow {
  tenant_id: string;
  family_id: string;
  family_name: string;
  risk_score: number;
  risk_tier: RiskTier;
  risk_factors: JsonValue | null;
  never_contacted: boolean;
  last_contact_date: string | null;
  assigned_coordinator: string | null;
  updated_at: Date;
}

const SELECT_LIST =
  "tenant_id, family_id::text AS family_id, family_name, risk_score, risk_tier::text AS risk_tier, risk_factors, " +
  "never_contacted, last_contact_date::text AS last_contact_date, assigned_coordinator, updated_at";

function fromDb(r: AtRiskDbRow): AtRiskRow {
  return {
    tenantId: r.tenant_id,
    familyId: r.family_id,
    familyName: r.family_name,
    riskScore: r.risk_score,
    riskTier: r.risk_tier,
    riskFactors: r.risk_factors,
    neverContacted: r.never_contacted,
    lastContactDate: r.last_contact_date,
    assignedCoordinator: r.assigned_coordinator,
    updatedAt: r.updated_at,
  };
}

function toDb(r: AtRiskRow): unknown[] {
  return [
    r.tenantId,
    r.familyId,
    r.familyName,
    r.riskScore,
    r.riskTier,
    r.riskFactors === null ? null : JSON.stringify(r.riskFactors),
    r.neverContacted,
    r.lastContactDate,
    r.assignedCoordinator,
    r.updatedAt.toISOString(),
  ];
}

export const atRiskProjection: ProjectionDefinition = {
  name: "at-risk",
  version: 1,
  handles: ["FamilyEnrolled", "RiskAssessed", "ContactRecorded", "CoordinatorAssigned", "FamilyWithdrawn", "FamilyForgotten"],
  tables: [{ name: "at_risk_families", readers: ["coordinator", "admin"] }],
  async apply(client, events, tables) {
    if (events.length === 0) return;
    const table = tableName(tables, "at_risk_families");
    const rows = await selectByKeys<AtRiskDbRow>(client, table, SELECT_LIST, KEY, streamKeys(events));
    const loaded = new Map(rows.map((r) => [streamKey(r.tenant_id, r.family_id), fromDb(r)]));
    const { upserts, deletes } = foldByStream(events, loaded, evolveAtRisk);
    await deleteByKeys(client, table, KEY, deletes.map(splitStreamKey));
    await upsertRows(client, table, COLUMNS, upserts.map(toDb), ["tenant_id", "family_id"], replaceAll(COLUMNS, ["tenant_id", "family_id"]));
  },
};
