import type { CoordinatorEvent, FamilyEventOf } from "@coop/domain";
import type { RecordedEvent } from "@coop/event-store";
import { describeEvent, foldByStream, streamKey, streamKeys } from "./fold";
import { ident, replaceAll, selectByKeys, upsertRows, type Column } from "./sql";
import { tableName, type ProjectionDefinition } from "./types";

/** A coordinator as the `coordinators` query lists it. */
export interface CoordinatorRow {
  tenantId: string;
  coordinatorId: string;
  name: string;
  caseloadLimit: number;
  version: number;
  updatedAt: Date;
}

/** Whom a family counts towards: its assigned coordinator, while it is enrolled. */
export interface AssignmentRow {
  tenantId: string;
  familyId: string;
  coordinator: string | null;
  enrolled: boolean;
  version: number;
}

/** Pure: a coordinator's row after one of its events. */
export function evolveCoordinator(row: CoordinatorRow | null, event: RecordedEvent): CoordinatorRow {
  const e = { type: event.type, data: event.data } as CoordinatorEvent;
  switch (e.type) {
    case "CoordinatorRegistered":
      if (row !== null) throw new Error(`coordinator-caseload: ${describeEvent(event)} for a coordinator that already has a row`);
      return { tenantId: event.tenantId, coordinatorId: event.streamId, name: e.data.name, caseloadLimit: e.data.caseloadLimit, version: event.streamVersion, updatedAt: event.recordedAt };
    case "CaseloadLimitSet":
      if (row === null) throw new Error(`coordinator-caseload: ${describeEvent(event)} for a coordinator with no row`);
      return { ...row, caseloadLimit: e.data.caseloadLimit, version: event.streamVersion, updatedAt: event.recordedAt };
    default:
      throw new Error(`coordinator-caseload: no reducer for event type ${event.type} (${describeEvent(event)})`);
  }
}

/** Pure: a family's assignment after one of its events (only the types that move a caseload). */
export function evolveAssignment(row: AssignmentRow | null, event: RecordedEvent): AssignmentRow {
  const version = event.streamVersion;
  switch (event.type) {
    case "FamilyEnrolled":
      if (row !== null) throw new Error(`coordinator-caseload: ${describeEvent(event)} for a family that already has a row`);
      return { tenantId: event.tenantId, familyId: event.streamId, coordinator: null, enrolled: true, version };
    case "CoordinatorAssigned": {
      if (row === null) throw new Error(`coordinator-caseload: ${describeEvent(event)} for a family with no row`);
      const data = event.data as FamilyEventOf<"CoordinatorAssigned">["data"];
      return { ...row, coordinator: data.coordinator, version };
    }
    case "FamilyWithdrawn":
    case "FamilyForgotten":
      if (row === null) throw new Error(`coordinator-caseload: ${describeEvent(event)} for a family with no row`);
      return { ...row, enrolled: false, version };
    default:
      throw new Error(`coordinator-caseload: no reducer for event type ${event.type} (${describeEvent(event)})`);
  }
}

/** What moving from `before` to `after` does to each coordinator's caseload. */
export function caseloadDelta(before: AssignmentRow | null, after: AssignmentRow, deltas: Map<string, number>): void {
  const counts = (row: AssignmentRow | null) => row !== null && row.enrolled && row.coordinator !== null;
  if (counts(before)) deltas.set(streamKey(before!.tenantId, before!.coordinator!), (deltas.get(streamKey(before!.tenantId, before!.coordinator!)) ?? 0) - 1);
  if (counts(after)) deltas.set(streamKey(after.tenantId, after.coordinator!), (deltas.get(streamKey(after.tenantId, after.coordinator!)) ?? 0) + 1);
}

const COORDINATOR_COLUMNS: Column[] = [
  { name: "tenant_id", type: "text" },
  { name: "coordinator_id", type: "uuid" },
  { name: "name", type: "text" },
  { name: "caseload_limit", type: "int" },
  { name: "version", type: "int" },
  { name: "updated_at", type: "timestamptz" },
];
const ASSIGNMENT_COLUMNS: Column[] = [
  { name: "tenant_id", type: "text" },
  { name: "family_id", type: "uuid" },
  { name: "coordinator", type: "text" },
  { name: "enrolled", type: "boolean" },
  { name: "version", type: "int" },
];
const CASELOAD_COLUMNS: Column[] = [
  { name: "tenant_id", type: "text" },
  { name: "coordinator", type: "text" },
  { name: "caseload", type: "int" },
];

const FAMILY_EVENTS = new Set(["FamilyEnrolled", "CoordinatorAssigned", "FamilyWithdrawn", "FamilyForgotten"]);

export const coordinatorCaseloadProjection: ProjectionDefinition = {
  name: "coordinator-caseload",
  version: 1,
  handles: ["CoordinatorRegistered", "CaseloadLimitSet", "FamilyEnrolled", "CoordinatorAssigned", "FamilyWithdrawn", "FamilyForgotten"],
  tables: [
    { name: "coordinators", readers: ["coordinator", "admin"] },
    { name: "coordinator_assignments", readers: ["coordinator", "admin"] },
    { name: "coordinator_caseloads", readers: ["coordinator", "admin"] },
  ],
  async apply(client, events, tables) {
    if (events.length === 0) return;
    const familyEvents = events.filter((e) => FAMILY_EVENTS.has(e.type));
    const coordinatorEvents = events.filter((e) => !FAMILY_EVENTS.has(e.type));

    if (coordinatorEvents.length > 0) {
      const table = tableName(tables, "coordinators");
      const rows = await selectByKeys<{ tenant_id: string; coordinator_id: string; name: string; caseload_limit: number; version: number; updated_at: Date }>(
        client,
        table,
        "tenant_id, coordinator_id::text AS coordinator_id, name, caseload_limit, version, updated_at",
        COORDINATOR_COLUMNS.slice(0, 2),
        streamKeys(coordinatorEvents),
      );
      const loaded = new Map(
        rows.map((r) => [streamKey(r.tenant_id, r.coordinator_id), { tenantId: r.tenant_id, coordinatorId: r.coordinator_id, name: r.name, caseloadLimit: r.caseload_limit, version: r.version, updatedAt: r.updated_at }]),
      );
      const { upserts } = foldByStream(coordinatorEvents, loaded, evolveCoordinator);
      await upsertRows(
        client,
        table,
        COORDINATOR_COLUMNS,
        upserts.map((r) => [r.tenantId, r.coordinatorId, r.name, r.caseloadLimit, r.version, r.updatedAt.toISOString()]),
        ["tenant_id", "coordinator_id"],
        replaceAll(COORDINATOR_COLUMNS, ["tenant_id", "coordinator_id"]),
      );
    }

    if (familyEvents.length > 0) {
      const table = tableName(tables, "coordinator_assignments");
      const rows = await selectByKeys<{ tenant_id: string; family_id: string; coordinator: string | null; enrolled: boolean; version: number }>(
        client,
        table,
        "tenant_id, family_id::text AS family_id, coordinator, enrolled, version",
        ASSIGNMENT_COLUMNS.slice(0, 2),
        streamKeys(familyEvents),
      );
      const loaded = new Map(
        rows.map((r) => [streamKey(r.tenant_id, r.family_id), { tenantId: r.tenant_id, familyId: r.family_id, coordinator: r.coordinator, enrolled: r.enrolled, version: r.version }]),
      );
      const { upserts } = foldByStream(familyEvents, loaded, evolveAssignment);
      const deltas = new Map<string, number>();
      for (const after of upserts) caseloadDelta(loaded.get(streamKey(after.tenantId, after.familyId)) ?? null, after, deltas);
      await upsertRows(
        client,
        table,
        ASSIGNMENT_COLUMNS,
        upserts.map((r) => [r.tenantId, r.familyId, r.coordinator, r.enrolled, r.version]),
        ["tenant_id", "family_id"],
        replaceAll(ASSIGNMENT_COLUMNS, ["tenant_id", "family_id"]),
      );
      // Increments commute, so concurrent writers of one coordinator's count need no ordering; rows
      // are written in key order so that two writers never lock them in opposite orders.
      const changes = [...deltas.entries()]
        .filter(([, delta]) => delta !== 0)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, delta]) => [...key.split("\u0000"), delta]);
      const caseloads = tableName(tables, "coordinator_caseloads");
      await upsertRows(client, caseloads, CASELOAD_COLUMNS, changes, ["tenant_id", "coordinator"], {
        caseload: `t."caseload" + EXCLUDED."caseload"`,
      });
      // A row exists while its count is above zero: the table's content then depends on the events
      // alone, not on how they were batched (a rebuild in one batch nets +1 -1 to nothing).
      if (changes.length > 0) {
        await client.query(`DELETE FROM ${ident(caseloads)} WHERE caseload = 0 AND (tenant_id, coordinator) IN (SELECT * FROM unnest($1::text[], $2::text[]))`, [
          changes.map((c) => c[0]),
          changes.map((c) => c[1]),
        ]);
      }
    }
  },
};
