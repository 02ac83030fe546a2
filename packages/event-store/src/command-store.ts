import type pg from "pg";
import type { StoredReceipt } from "./types";

const FIND_SQL = `
SELECT command_id, command_type, payload_hash, stream_id, version, position::text, events
FROM commands WHERE tenant_id = $1::text AND command_id = $2::uuid`;

// A refusal decided from cached state costs this one round trip: was the command carried out
// before (idempotency), and is the stream still at the version the state was at?
const LOOK_UP_SQL = `
SELECT c.command_id, c.command_type, c.payload_hash, c.stream_id, c.version, c.position::text AS position, c.events,
       coalesce((SELECT max(e.stream_version) FROM events e WHERE e.tenant_id = $1::text AND e.stream_id = $3::uuid), 0) AS stream_version
FROM (SELECT 1) AS one
LEFT JOIN commands c ON c.tenant_id = $1::text AND c.command_id = $2::uuid`;

interface ReceiptRow {
  command_id: string;
  command_type: string;
  payload_hash: string;
  stream_id: string;
  version: number;
  position: string;
  events: string[];
}

function toReceipt(row: ReceiptRow): StoredReceipt {
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

/**
 * Receipts of commands that appended events, keyed by (tenant, command id). They are written by
 * EventStore.append in the same statement as the events; this side only reads them.
 */
export class CommandStore {
  constructor(private readonly pool: pg.Pool) {}

  async findReceipt(tenantId: string, commandId: string): Promise<StoredReceipt | null> {
    const result = await this.pool.query<ReceiptRow>({ name: "cs_find_receipt", text: FIND_SQL, values: [tenantId, commandId] });
    const row = result.rows[0];
    return row ? toReceipt(row) : null;
  }

  /** The command's receipt if it was carried out before, and the stream's current version, in one round trip. */
  async lookUp(tenantId: string, commandId: string, streamId: string): Promise<{ receipt: StoredReceipt | null; streamVersion: number }> {
    const result = await this.pool.query<Partial<ReceiptRow> & { stream_version: number }>({
      name: "cs_look_up",
      text: LOOK_UP_SQL,
      values: [tenantId, commandId, streamId],
    });
    const row = result.rows[0]!;
    return { receipt: row.command_id ? toReceipt(row as ReceiptRow) : null, streamVersion: row.stream_version };
  }
}
