// The one rewrite of stored events the law asks for: personal fields written before encryption
// existed are sealed in place with their family's key (made for it when it has none), or erased
// when the family was forgotten meanwhile. Nothing else of an event changes. Safe to run twice and
// while the system runs: a value already sealed is left alone, and each row is only rewritten if it
// still holds what was read. "Sealed" means sealed with the stream's key: text typed before
// encryption that merely looks sealed (`pii1:s...`) does not open with it, and is sealed too.
// Snapshots of older state schema versions (which may hold names) and of forgotten streams are
// deleted.
import type pg from "pg";
import { ERASED, erasedValue, forEachPersonalValue, mapPersonalData } from "@coop/domain";
import type { DataKeyEntry, StreamKeyRef } from "./data-key-store";
import { streamAad } from "./data-key-store";
import type { EventCodec, PersonalDataRules } from "./event-codec";
import { isSealed, opensWith, sealValue } from "./field-cipher";

export interface SealStoredOptions {
  /** The event types that may hold personal data (in any schema version). */
  eventTypes: readonly string[];
  /** The current state schema version of each stream type: snapshots of any other are deleted. */
  stateSchemaVersions: Readonly<Record<string, number>>;
  /** Events read per batch (default 1,000). */
  batch?: number;
  onProgress?: (progress: { position: string; sealed: number; erased: number }) => void;
}

export interface SealStoredResult {
  /** Events rewritten with their plaintext personal fields sealed. */
  sealed: number;
  /** Events of forgotten families rewritten with their plaintext personal fields erased. */
  erased: number;
  /** Keys made for streams that had none. */
  keysMade: number;
  snapshotsDeleted: number;
}

interface Row {
  position: string;
  tenant_id: string;
  stream_id: string;
  event_type: string;
  schema_version: number;
  data: unknown;
}

export async function sealStoredPersonalData(pool: pg.Pool, codec: EventCodec, options: SealStoredOptions): Promise<SealStoredResult> {
  const result: SealStoredResult = { sealed: 0, erased: 0, keysMade: 0, snapshotsDeleted: 0 };
  const batch = options.batch ?? 1_000;
  let after = "0";
  for (;;) {
    const { rows } = await pool.query<Row>(
      `SELECT position::text AS position, tenant_id, stream_id::text AS stream_id, event_type, schema_version, data
         FROM events WHERE position > $1::bigint AND event_type = ANY($2::text[])
        ORDER BY position LIMIT $3`,
      [after, options.eventTypes, batch],
    );
    if (rows.length === 0) break;
    after = rows[rows.length - 1]!.position;

    // Values that look sealed are told apart from look-alike plaintext by the stream's key: every
    // row with a personal value that is not erased needs its stream's key.
    const candidates = rows.filter((row) => hasPlaintext(codec.rules, row.event_type, row.schema_version, row.data, () => false));
    if (candidates.length === 0) continue;
    const keys = await keysOf(pool, codec, candidates, result);
    const updates: { position: string; data: unknown; old: unknown }[] = [];
    for (const row of candidates) {
      const entry = keys.get(streamAad(row.tenant_id, row.stream_id))!;
      const sealed = (value: unknown) => sealedInStore(entry, value);
      if (!hasPlaintext(codec.rules, row.event_type, row.schema_version, row.data, sealed)) continue;
      const seal = "key" in entry ? (v: unknown) => sealValue(entry.key, entry.aad, v) : erasedValue;
      updates.push({ position: row.position, old: row.data, data: replacePlaintext(codec.rules, row.event_type, row.schema_version, row.data, seal, sealed) });
      if ("key" in entry) result.sealed++;
      else result.erased++;
    }
    if (updates.length === 0) continue;
    await pool.query(
      `UPDATE events e SET data = u.data
         FROM unnest($1::bigint[], $2::jsonb[], $3::jsonb[]) AS u(position, data, old)
        WHERE e.position = u.position AND e.data = u.old`,
      [updates.map((u) => u.position), updates.map((u) => JSON.stringify(u.data)), updates.map((u) => JSON.stringify(u.old))],
    );
    options.onProgress?.({ position: after, sealed: result.sealed, erased: result.erased });
  }
  const pairs = Object.entries(options.stateSchemaVersions);
  const deleted = await pool.query(
    `DELETE FROM snapshots s
      WHERE (s.stream_type, s.schema_version) NOT IN (SELECT * FROM unnest($1::text[], $2::int[]))
         OR EXISTS (SELECT 1 FROM data_keys k WHERE k.tenant_id = s.tenant_id AND k.stream_id = s.stream_id AND k.wrapped_key IS NULL)`,
    [pairs.map(([type]) => type), pairs.map(([, version]) => version)],
  );
  result.snapshotsDeleted = deleted.rowCount ?? 0;
  return result;
}

/**
 * Whether a stored value is sealed for its stream: it looks sealed and opens with the stream's key.
 * Once the key is destroyed, looking sealed is all there is to go by; a stream that never had a key
 * never had a value sealed, so whatever looks sealed in it is plaintext.
 */
export function sealedInStore(entry: DataKeyEntry | undefined, value: unknown): boolean {
  if (!isSealed(value)) return false;
  if (!entry) return false;
  return "key" in entry ? opensWith(entry.key, entry.aad, value) : true;
}

/**
 * Whether some personal value of a stored event is still plaintext: neither sealed (as `sealed`
 * tells, by default by its look alone) nor already erased.
 */
export function hasPlaintext(rules: Pick<PersonalDataRules, "personalData">, type: string, schemaVersion: number, data: unknown, sealed: (value: unknown) => boolean = isSealed): boolean {
  let found = false;
  forEachPersonalValue(data, rules.personalData(type, schemaVersion), (value) => {
    if (value !== ERASED && !sealed(value)) found = true;
  });
  return found;
}

/** A stored event's data with each plaintext personal value replaced (sealed or erased); the rest as it is. */
export function replacePlaintext(
  rules: Pick<PersonalDataRules, "personalData">,
  type: string,
  schemaVersion: number,
  data: unknown,
  replace: (value: unknown) => unknown,
  sealed: (value: unknown) => boolean = isSealed,
): unknown {
  return mapPersonalData(data, rules.personalData(type, schemaVersion), (v) => (v === ERASED || sealed(v) ? v : replace(v)));
}

/** The keys of the rows' streams; a stream with none gets one (unless another run made it first). */
async function keysOf(pool: pg.Pool, codec: EventCodec, rows: readonly Row[], result: SealStoredResult): Promise<Map<string, DataKeyEntry>> {
  const streams = new Map<string, StreamKeyRef>();
  for (const row of rows) streams.set(streamAad(row.tenant_id, row.stream_id), { tenantId: row.tenant_id, streamId: row.stream_id });
  let keys = await codec.keys.entries([...streams.values()]);
  const missing = [...streams.entries()].filter(([id]) => !keys.has(id)).map(([, s]) => s);
  if (missing.length > 0) {
    const made = missing.map((s) => ({ ...s, row: codec.keys.newKey(s.tenantId, s.streamId).row }));
    const inserted = await pool.query(
      `INSERT INTO data_keys (tenant_id, stream_id, key_id, wrapped_key)
       SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::bytea[])
       ON CONFLICT (tenant_id, stream_id) DO NOTHING`,
      [made.map((m) => m.tenantId), made.map((m) => m.streamId), made.map((m) => m.row.keyId), made.map((m) => m.row.wrapped)],
    );
    result.keysMade += inserted.rowCount ?? 0;
    // Read back: where another run (or an append) stored a key first, that one is the stream's.
    for (const s of missing) codec.keys.drop(s.tenantId, s.streamId);
    keys = await codec.keys.entries([...streams.values()]);
  }
  return keys;
}
