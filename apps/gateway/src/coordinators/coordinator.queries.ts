// Read-model queries of the coordinators feature (projection coordinator-caseload): each
// coordinator with the count of enrolled families assigned to their name.
import type { ReadDeps } from "../context";
import type { ReadScope, TenantReader } from "../reads/tenant-reader";
import type { Coordinator } from "./coordinator.types";

const COORDINATORS_SQL = `SELECT c.coordinator_id::text AS id, c.name, c.caseload_limit AS "caseloadLimit", coalesce(l.caseload, 0)::int AS caseload
FROM coordinators c
LEFT JOIN coordinator_caseloads l ON l.tenant_id = c.tenant_id AND l.coordinator = c.name
WHERE c.tenant_id = $1
ORDER BY c.name, c.coordinator_id`;

/** As the reader role, for the viewer's tenant (reads/tenant-reader.ts). */
export class CoordinatorQueries {
  private readonly reader: TenantReader;

  constructor({ reader }: ReadDeps) {
    this.reader = reader;
  }

  /** The tenant's coordinators by name; a name no family is assigned to has caseload 0. */
  async list(viewer: ReadScope): Promise<Coordinator[]> {
    const rows = await this.reader.rows<Omit<Coordinator, "overLimit">>(viewer, COORDINATORS_SQL, [viewer.tenantId]);
    return rows.map((row) => ({ ...row, overLimit: row.caseload > row.caseloadLimit }));
  }
}
