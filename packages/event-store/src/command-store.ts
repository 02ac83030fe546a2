import type pg from "pg";
import type { StoredReceipt } from "./types";

const FIND_SQL = `
SELECT command_id, command_type, payload_hash, stream_id, version, position::text, events
FROM commands WHERE tenant_id = $1::text AND command_id = $2::uuid`;

/**
 * Receipts of commands that appended events, keyed by (tenant, command id). They are written by
 * EventStore.append in the same statement as the events; this side only reads them.
 */
export class CommandStore {
  constructor(private readonly pool: pg.Pool) {}

  async findReceipt(tenantId: string, commandId: string): Promise<StoredReceipt | null> {
    const result = await this.pool.query<{
      command_id: string;
      command_type: string;
      payload_hash: string;
      stream_id: string;
      version: number;
      position: string;
      events: string[];
    }>({ name: "cs_find_receipt", text: FIND_SQL, values: [tenantId, commandId] });
    const row = result.rows[0];
    if (!row) return null;
    return {
      commandId: row.command_id,
      commandType: row.command_type,
      payloadHash: row.payload_hash,
      streamId: row.stream_id,
      version: row.version,
      position: row.position,
      events: row.events,
    };
  }
}
