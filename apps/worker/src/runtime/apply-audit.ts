// TEST ONLY. COOP_APPLY_AUDIT=<table> makes every projection record, in the same transaction as
// the batch it applies, which events it was given (projection, stream, version, position), in a
// table the test created. What commits is what took effect, so the tests can assert per stream
// that each event took effect once and in stream order, across kills and lanes. Applied by
// wrapping the projection when the variable is set: the production path has no such step.
import type { ProjectionDefinition } from "../projections/types";

/** The audit table's statement (the test creates the table; `seq` orders what committed). */
export const APPLY_AUDIT_TABLE_SQL = (table: string) =>
  `CREATE TABLE ${table} (seq bigserial PRIMARY KEY, projection text NOT NULL, tenant_id text NOT NULL, stream_id text NOT NULL, stream_version int NOT NULL, position bigint NOT NULL)`;

export function withApplyAudit(projection: ProjectionDefinition, table: string): ProjectionDefinition {
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error(`COOP_APPLY_AUDIT must be a plain table name, got "${table}"`);
  return {
    ...projection,
    async apply(client, events, tables) {
      await projection.apply(client, events, tables);
      if (events.length === 0) return;
      await client.query(
        `INSERT INTO ${table} (projection, tenant_id, stream_id, stream_version, position)
         SELECT $1, t, s, v, p FROM unnest($2::text[], $3::text[], $4::int[], $5::bigint[]) AS u(t, s, v, p)`,
        [projection.name, events.map((e) => e.tenantId), events.map((e) => e.streamId), events.map((e) => e.streamVersion), events.map((e) => e.position)],
      );
    },
  };
}
