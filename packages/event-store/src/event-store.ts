import type pg from "pg";
import { v7 as uuidv7 } from "uuid";
import type { EventCodec } from "./personal-data/event-codec";
import type {
  AppendResult,
  Checkpoint,
  Claim,
  CommandRecord,
  NewEvent,
  RecordedEvent,
  StreamEvent,
  StreamLoad,
  StreamRef,
  Upcast,
} from "./types";

const UNIQUE_VIOLATION = "23505";

/**
 * A stream's hash (28 bits, never negative): the first 7 hex digits of md5("tenant/stream id").
 * Stored with every event, so that lanes (stream_hash % lanes) need no hashing when read. The
 * migration that added the column backfilled it with the same expression.
 */
export const STREAM_HASH_SQL = `('x' || substr(md5($1::text || '/' || $2::uuid::text), 1, 7))::bit(28)::int`;

/** One event of a stream as JSON text, `[version, type, schema version, data]`. */
const STREAM_EVENT_JSON = `'[' || e.stream_version || ',' || to_json(e.event_type)::text || ',' || e.schema_version || ',' || e.data::text || ']'`;

/**
 * A stream's events as one JSON text, `[[version, type, schema version, data], ...]` (null when
 * there are none), in the order PostgreSQL reads them: the stream's index gives version order, and
 * `streamEvents` sorts whatever does not come in it. An ORDER BY inside the aggregate sorted every
 * event's text again, which cost as much as building it (twice as much for sealed events).
 */
const STREAM_EVENTS_JSON = `'[' || string_agg(${STREAM_EVENT_JSON}, ',') || ']'`;

// One statement, so one round trip and autocommit: the stream's type and expected-version check,
// the events, the command's idempotency record, any unique claims and the stream's data key (a new
// one stored, or a forgotten one destroyed with the stream's snapshots) commit or fail together. The
// unique (tenant, stream, version) index is the final arbiter when two appenders pass the check at
// once. When nothing is appended, the statement says why: the stream's type and version, and the
// events after the expected version (so a stale cache catches up in the same round trip).
interface AppendShape {
  command: boolean;
  claims: boolean;
  newKey: boolean;
  forgets: boolean;
  /** A forget that also erases the stream's plaintext personal values (events stored before encryption). */
  erases: boolean;
}

function appendSql(shape: AppendShape): string {
  let next = 6; // $1..$5: tenant, stream, stream type, expected version, events
  const param = () => `$${next++}`;
  let extra = "";
  if (shape.command) {
    const [id, type, hash, user, correlation] = [param(), param(), param(), param(), param()];
    extra += `, recorded AS (
  INSERT INTO commands (tenant_id, command_id, command_type, payload_hash, stream_id, version,
                        position, events, user_id, correlation_id)
  SELECT $1::text, ${id}::uuid, ${type}::text, ${hash}::text, $2::uuid, max(stream_version), max(position),
         array_agg(event_type ORDER BY stream_version), ${user}::text, ${correlation}::text
  FROM appended HAVING count(*) > 0
)`;
  }
  if (shape.claims) {
    extra += `, claimed AS (
  INSERT INTO unique_claims (tenant_id, scope, value, stream_id)
  SELECT $1::text, c->>'scope', c->>'value', $2::uuid
  FROM jsonb_array_elements(${param()}::jsonb) AS c
  WHERE EXISTS (SELECT 1 FROM appended)
)`;
  }
  if (shape.newKey) {
    // No ON CONFLICT: a key already stored means the events were sealed with the wrong one.
    const [keyId, wrapped] = [param(), param()];
    extra += `, keyed AS (
  INSERT INTO data_keys (tenant_id, stream_id, key_id, wrapped_key)
  SELECT $1::text, $2::uuid, ${keyId}::text, ${wrapped}::bytea
  WHERE EXISTS (SELECT 1 FROM appended)
)`;
  }
  if (shape.forgets) {
    extra += `, forgot AS (
  INSERT INTO data_keys (tenant_id, stream_id, key_id, wrapped_key, forgotten_at)
  SELECT $1::text, $2::uuid, NULL, NULL, now()
  WHERE EXISTS (SELECT 1 FROM appended)
  ON CONFLICT (tenant_id, stream_id) DO UPDATE SET key_id = NULL, wrapped_key = NULL, forgotten_at = EXCLUDED.forgotten_at
), unsnapped AS (
  DELETE FROM snapshots WHERE tenant_id = $1::text AND stream_id = $2::uuid AND EXISTS (SELECT 1 FROM appended)
)`;
  }
  if (shape.erases) {
    const [versions, data, old] = [param(), param(), param()];
    // Each event only if it still holds what was read (a concurrent seal-existing may have sealed it).
    extra += `, erased AS (
  UPDATE events e SET data = u.data
  FROM unnest(${versions}::int[], ${data}::jsonb[], ${old}::jsonb[]) AS u(stream_version, data, old)
  WHERE e.tenant_id = $1::text AND e.stream_id = $2::uuid AND e.stream_version = u.stream_version
    AND e.data = u.old AND EXISTS (SELECT 1 FROM appended)
)`;
  }
  return `
WITH input AS (
  SELECT (e->>'id')::uuid AS event_id, e->>'type' AS event_type, (e->>'v')::int AS schema_version,
         e->'data' AS data, e->'meta' AS metadata, n
  FROM jsonb_array_elements($5::jsonb) WITH ORDINALITY AS t(e, n)
), stream AS (
  -- The head event gives both the version and the type: every append checks the type, so all of a
  -- stream's events share it (one index probe instead of two: about a tenth of the statement's cost).
  SELECT coalesce(h.stream_version, 0) AS version, h.stream_type AS type
  FROM (SELECT 1) AS one LEFT JOIN LATERAL (
    SELECT stream_version, stream_type FROM events WHERE tenant_id = $1::text AND stream_id = $2::uuid
    ORDER BY stream_version DESC LIMIT 1) h ON true
), appended AS (
  INSERT INTO events (event_id, tenant_id, stream_id, stream_type, stream_version, event_type,
                      schema_version, data, metadata, stream_hash)
  SELECT i.event_id, $1::text, $2::uuid, $3::text, $4::int + i.n, i.event_type, i.schema_version,
         i.data, i.metadata, ${STREAM_HASH_SQL}
  FROM input i, stream s
  WHERE s.version = $4::int AND (s.type IS NULL OR s.type = $3::text)
  ORDER BY i.n
  RETURNING position, transaction_id, stream_version, event_type
)${extra}
SELECT a.position::text AS position, a.transaction_id::text AS transaction_id, a.version,
       s.version AS stream_version, s.type AS stream_type,
       CASE WHEN a.position IS NULL AND s.version > $4::int AND (s.type IS NULL OR s.type = $3::text) THEN
         (SELECT ${STREAM_EVENTS_JSON}
            FROM events e WHERE e.tenant_id = $1::text AND e.stream_id = $2::uuid AND e.stream_version > $4::int)
       END AS missed
FROM stream s
LEFT JOIN (SELECT max(position) AS position, max(transaction_id) AS transaction_id, max(stream_version) AS version FROM appended) a ON true`;
}

/** Each shape's statement, made once, under a prepared-statement name of its own. */
const APPEND_SQL = new Map<number, { name: string; text: string }>();

function appendStatement(shape: AppendShape): { name: string; text: string } {
  const bits = (shape.command ? 1 : 0) | (shape.claims ? 2 : 0) | (shape.newKey ? 4 : 0) | (shape.forgets ? 8 : 0) | (shape.erases ? 16 : 0);
  let statement = APPEND_SQL.get(bits);
  if (!statement) {
    statement = { name: `es_append_${bits}`, text: appendSql(shape) };
    APPEND_SQL.set(bits, statement);
  }
  return statement;
}

// Positions and transaction ids leave as text (64-bit); ordering must use the qualified columns,
// since a bare ORDER BY name would pick the text output column and sort "1000" before "999".
const EVENT_COLUMNS = `e.position::text AS position, e.transaction_id::text AS transaction_id, e.event_id,
       e.tenant_id, e.stream_id, e.stream_type, e.stream_version, e.event_type, e.schema_version,
       e.data, e.metadata, e.recorded_at, e.stream_hash`;

// What delivery reads (the publisher, a projector catching up, a rebuild): what a job carries, no
// more. No event id, and of the metadata only the correlation id: a third less for Node to parse
// per event, and less for PostgreSQL to send.
const DELIVERY_COLUMNS = `e.position::text AS position, e.transaction_id::text AS transaction_id,
       e.tenant_id, e.stream_id, e.stream_type, e.stream_version, e.event_type, e.schema_version,
       e.data, e.metadata->>'correlationId' AS correlation_id, e.recorded_at, e.stream_hash`;

// The safe watermark: every transaction below the oldest one still running has ended, so nothing
// can appear below it later. Resuming by the pair keeps events of a late-committing transaction.
const readAllSql = (columns: string) => `
SELECT ${columns}
FROM events e
WHERE (e.transaction_id, e.position) > ($1::bigint, $2::bigint)
  AND e.transaction_id < (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint
ORDER BY e.transaction_id, e.position
LIMIT $3::int`;
const READ_ALL_SQL = readAllSql(EVENT_COLUMNS);
const READ_ALL_LEAN_SQL = readAllSql(DELIVERY_COLUMNS);

// A lane's events in (from, to]: all committed (`to` was read below the watermark, which only
// moves forward), so no watermark test; the lane and the wanted events filtered in SQL.
const READ_LANE_SQL = `
SELECT ${DELIVERY_COLUMNS}
FROM events e
WHERE (e.transaction_id, e.position) > ($1::bigint, $2::bigint)
  AND (e.transaction_id, e.position) <= ($3::bigint, $4::bigint)
  AND e.stream_hash % $5::int = $6::int
  AND (e.event_type = ANY($7::text[]) OR e.stream_type = ANY($8::text[]))
ORDER BY e.transaction_id, e.position
LIMIT $9::int`;

const READ_POSITIONS_SQL = `
SELECT ${EVENT_COLUMNS}
FROM events e
WHERE e.position = ANY($1::bigint[])
ORDER BY e.transaction_id, e.position`;

const READ_STREAM_SQL = `
SELECT ${EVENT_COLUMNS}
FROM events e
WHERE e.tenant_id = $1::text AND e.stream_id = $2::uuid AND e.stream_version > $3::int
  AND ($4::text IS NULL OR e.stream_type = $4::text)
ORDER BY e.stream_version`;

/**
 * How many events a load sends per row. A long stream's events as one JSON text of a megabyte took
 * two to four times as long to arrive as the same bytes in rows of a few kilobytes (PostgreSQL and
 * the driver both handle one huge value poorly), and most of a 10,000-event replay was that wait.
 */
const LOAD_CHUNK_EVENTS = 100;

// Snapshot, the events after it, the stream's head and type, in one round trip: a first row with
// all but the events, then one row per chunk of events (`chunk_from` the version before it), each
// a comma-separated list of event texts that the store joins into one JSON text and parses once.
// Every chunk is an index range scan, so it comes in version order without a sort.
function loadSql(withKey: boolean): string {
  // With encryption: the stream's data key in the same round trip (a cold command stays two).
  const keyColumns = withKey ? `,\n    k.key_id, k.wrapped_key, (k.stream_id IS NOT NULL) AS has_key_row` : "";
  const keyJoin = withKey ? `\n  LEFT JOIN data_keys k ON k.tenant_id = $1::text AND k.stream_id = $2::uuid` : "";
  const keyNulls = withKey ? ", NULL, NULL, NULL" : "";
  return `
WITH loaded AS (
  SELECT s.version AS snapshot_version, s.schema_version AS snapshot_schema_version, s.state::text AS state,
    coalesce((SELECT max(stream_version) FROM events WHERE tenant_id = $1::text AND stream_id = $2::uuid), 0) AS head,
    (SELECT stream_type FROM events WHERE tenant_id = $1::text AND stream_id = $2::uuid AND stream_version = 1) AS stream_type${keyColumns}
  FROM (SELECT 1) AS one
  LEFT JOIN snapshots s
    ON s.tenant_id = $1::text AND s.stream_id = $2::uuid AND s.schema_version = $3::int
   AND s.version > $4::int AND $5::bool${keyJoin}
)
SELECT *, NULL::int AS chunk_from, NULL::text AS events FROM loaded
UNION ALL
SELECT NULL, NULL, NULL, NULL, NULL${keyNulls}, c.chunk_from,
  (SELECT string_agg(${STREAM_EVENT_JSON}, ',')
     FROM events e
    WHERE e.tenant_id = $1::text AND e.stream_id = $2::uuid
      AND e.stream_version > c.chunk_from AND e.stream_version <= c.chunk_from + ${LOAD_CHUNK_EVENTS})
FROM loaded, generate_series(coalesce(loaded.snapshot_version, $4::int), loaded.head - 1, ${LOAD_CHUNK_EVENTS}) AS c(chunk_from)`;
}
const LOAD_SQL = loadSql(false);
const LOAD_WITH_KEY_SQL = loadSql(true);

const SAVE_SNAPSHOT_SQL = `
INSERT INTO snapshots (tenant_id, stream_id, stream_type, version, schema_version, state)
VALUES ($1::text, $2::uuid, $3::text, $4::int, $5::int, $6::jsonb)
ON CONFLICT (tenant_id, stream_id, schema_version) DO UPDATE
  SET version = EXCLUDED.version, state = EXCLUDED.state, stream_type = EXCLUDED.stream_type, taken_at = now()
  WHERE snapshots.version < EXCLUDED.version`;

interface EventRow {
  position: string;
  transaction_id: string;
  /** Absent from delivery's reads (DELIVERY_COLUMNS), as from a job. */
  event_id?: string;
  tenant_id: string;
  stream_id: string;
  stream_type: string;
  stream_version: number;
  event_type: string;
  schema_version: number;
  data: unknown;
  /** Delivery's reads have only the correlation id instead. */
  metadata?: Record<string, unknown>;
  correlation_id?: string | null;
  recorded_at: Date;
  stream_hash: number;
}

interface AppendRow {
  position: string | null;
  transaction_id: string | null;
  version: number | null;
  stream_version: number;
  stream_type: string | null;
  missed: string | null;
}

export interface EventStoreOptions {
  /** Applied to every event read (aggregates and projectors alike); stored events never change. */
  upcast?: Upcast;
  /**
   * Seals personal fields before they are appended and opens them wherever events are read, then
   * upcasts with its own rules (`upcast` is then unused). Without it, events are stored as given.
   */
  codec?: EventCodec;
}

/** How events are read: `raw` exactly as stored (sealed, stored schema); `stored` opened but in the stored schema (the audit trail). */
export interface ReadOptions {
  raw?: boolean;
  stored?: boolean;
  /** As delivery needs them (a job's shape): no event id (empty), of the metadata only the correlation id. */
  lean?: boolean;
}

const identity: Upcast = (stored) => stored;

export class EventStore {
  private readonly upcast: Upcast;
  readonly codec: EventCodec | null;

  constructor(
    /** A pool, or one client (a transaction of the caller's: the gateway's reads as its reader role). */
    private readonly pool: pg.Pool | pg.ClientBase,
    options: EventStoreOptions = {},
  ) {
    this.codec = options.codec ?? null;
    this.upcast = options.codec ? options.codec.rules.upcast : (options.upcast ?? identity);
  }

  /**
   * Appends events if the stream is at `expectedVersion` (0 for a new stream) and is of the same
   * type. A clash is a value, not an exception. With `command`, its idempotency record is written
   * in the same statement; with `claims`, values unique in the tenant are claimed for the stream.
   */
  async append(stream: StreamRef, expectedVersion: number, events: NewEvent[], command?: CommandRecord, claims: readonly Claim[] = []): Promise<AppendResult> {
    if (events.length === 0) throw new Error("append needs at least one event");
    const sealed = this.codec ? await this.codec.seal(stream, expectedVersion, events) : null;
    const payload = JSON.stringify(
      (sealed ? sealed.events : events).map((e) => ({
        id: e.eventId ?? uuidv7(),
        type: e.type,
        v: e.schemaVersion,
        data: e.data,
        meta: e.metadata,
      })),
    );
    const values: unknown[] = [stream.tenantId, stream.streamId, stream.streamType, expectedVersion, payload];
    if (command) values.push(command.commandId, command.commandType, command.payloadHash, command.userId, command.correlationId);
    if (claims.length > 0) values.push(JSON.stringify(claims.map((c) => ({ scope: c.scope, value: c.value }))));
    if (sealed?.newKey) values.push(sealed.newKey.keyId, sealed.newKey.wrapped);
    // A forget reads the stream once more (forgets are rare): plaintext of before encryption goes with the key.
    const erasures =
      sealed?.forgets && this.codec
        ? await this.codec.plaintextErasures(stream, (await this.readStream(stream, 0, { raw: true })).filter((e) => e.streamVersion <= expectedVersion))
        : [];
    if (erasures.length > 0) {
      values.push(
        erasures.map((e) => e.streamVersion),
        erasures.map((e) => JSON.stringify(e.data)),
        erasures.map((e) => JSON.stringify(e.old)),
      );
    }
    const statement = appendStatement({ command: !!command, claims: claims.length > 0, newKey: !!sealed?.newKey, forgets: !!sealed?.forgets, erases: erasures.length > 0 });
    try {
      const result = await this.pool.query<AppendRow>({ ...statement, values });
      const row = result.rows[0]!;
      if (row.position !== null) {
        sealed?.committed();
        return {
          ok: true,
          version: row.version!,
          position: row.position,
          checkpoint: { transactionId: row.transaction_id!, position: row.position },
        };
      }
      if (row.stream_type !== null && row.stream_type !== stream.streamType) {
        return { ok: false, reason: "StreamTypeMismatch", streamType: row.stream_type };
      }
      return {
        ok: false,
        reason: "WrongExpectedVersion",
        expectedVersion,
        missed: row.missed === null ? undefined : await this.streamEvents(stream, row.missed),
      };
    } catch (error) {
      const pgError = error as { code?: string; constraint?: string; detail?: string };
      if (pgError.code === UNIQUE_VIOLATION && pgError.constraint === "events_stream_version_key") {
        return { ok: false, reason: "WrongExpectedVersion", expectedVersion };
      }
      if (pgError.code === UNIQUE_VIOLATION && pgError.constraint === "commands_pkey" && command) {
        return { ok: false, reason: "CommandAlreadyRecorded", commandId: command.commandId };
      }
      if (pgError.code === UNIQUE_VIOLATION && pgError.constraint === "unique_claims_pkey" && claims.length > 0) {
        // The detail names the key: "Key (tenant_id, scope, value)=(t, scope, value) already exists."
        const taken = claims.find((c) => pgError.detail?.includes(`, ${c.scope}, ${c.value})`)) ?? claims[0]!;
        return { ok: false, reason: "ClaimTaken", claim: taken };
      }
      if (pgError.code === UNIQUE_VIOLATION && pgError.constraint === "data_keys_pkey" && sealed?.newKey) {
        // Another process stored this stream's key first: nothing was appended; reload and retry.
        return { ok: false, reason: "WrongExpectedVersion", expectedVersion };
      }
      throw error;
    }
  }

  /** Events of all streams after `after`, below the safe watermark, in log order; `raw` keeps the stored form. */
  async readAll(after: Checkpoint, limit: number, options: ReadOptions = {}): Promise<RecordedEvent[]> {
    const result = await this.pool.query<EventRow>({
      name: options.lean ? "es_read_all_lean" : "es_read_all",
      text: options.lean ? READ_ALL_LEAN_SQL : READ_ALL_SQL,
      values: [after.transactionId, after.position, limit],
    });
    return this.recorded(result.rows, options);
  }

  /**
   * One lane's events in (from, to], in log order, at most `limit`: those of the given types, and
   * every event of the given stream types. `to` must come from an earlier read of the store. As a
   * projector needs them, in the shape a job carries: no event id (empty), and of the metadata
   * only the correlation id.
   */
  async readLane(
    from: Checkpoint,
    to: Checkpoint,
    lane: { lane: number; lanes: number },
    wanted: { types: readonly string[]; streamTypes: readonly string[] },
    limit: number,
    options: ReadOptions = {},
  ): Promise<RecordedEvent[]> {
    const result = await this.pool.query<EventRow>({
      name: "es_read_lane",
      text: READ_LANE_SQL,
      values: [from.transactionId, from.position, to.transactionId, to.position, lane.lanes, lane.lane, wanted.types, wanted.streamTypes, limit],
    });
    return this.recorded(result.rows, options);
  }

  /** The events at these positions, in log order (a parked stream's events, say). */
  async readPositions(positions: readonly string[], options: ReadOptions = {}): Promise<RecordedEvent[]> {
    if (positions.length === 0) return [];
    const result = await this.pool.query<EventRow>({ name: "es_read_positions", text: READ_POSITIONS_SQL, values: [positions] });
    return this.recorded(result.rows, options);
  }

  /**
   * The last event below the safe watermark, in log order: how far a reader can get right now.
   * Null when there is none.
   */
  async readableHead(): Promise<Checkpoint | null> {
    const result = await this.pool.query<{ transaction_id: string; position: string }>({
      name: "es_readable_head",
      text: `SELECT e.transaction_id::text AS transaction_id, e.position::text AS position FROM events e
              WHERE e.transaction_id < (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint
              ORDER BY e.transaction_id DESC, e.position DESC LIMIT 1`,
    });
    const row = result.rows[0];
    return row ? { transactionId: row.transaction_id, position: row.position } : null;
  }

  /**
   * A stream's events after `fromVersion`, only if they are of `streamType` when it is given;
   * `stored` keeps the stored schema (the audit trail), `raw` the stored bytes.
   */
  async readStream(stream: Omit<StreamRef, "streamType"> & { streamType?: string }, fromVersion = 0, options: ReadOptions = {}): Promise<RecordedEvent[]> {
    const result = await this.pool.query<EventRow>({
      name: "es_read_stream",
      text: READ_STREAM_SQL,
      values: [stream.tenantId, stream.streamId, fromVersion, stream.streamType ?? null],
    });
    return this.recorded(result.rows, options);
  }

  /**
   * What an aggregate needs past `afterVersion`: the latest snapshot of `snapshotSchemaVersion`
   * newer than it (unless `useSnapshot` is false), the events after that, upcast, and the stream's
   * head and type. A snapshot beyond the head is returned as it is: the caller judges it.
   */
  async load<S>(stream: StreamRef, snapshotSchemaVersion: number, afterVersion = 0, useSnapshot = true): Promise<StreamLoad<S>> {
    const result = await this.pool.query<{
      snapshot_version: number | null;
      snapshot_schema_version: number | null;
      state: string | null;
      chunk_from: number | null;
      events: string | null;
      head: number;
      stream_type: string | null;
      key_id?: string | null;
      wrapped_key?: Buffer | null;
      has_key_row?: boolean;
    }>({
      name: this.codec ? "es_load_with_key" : "es_load",
      text: this.codec ? LOAD_WITH_KEY_SQL : LOAD_SQL,
      values: [stream.tenantId, stream.streamId, snapshotSchemaVersion, afterVersion, useSnapshot],
    });
    // The first row is the stream's; the others are its chunks of events (in any order: sorted below if need be).
    const row = result.rows.find((r) => r.chunk_from === null)!;
    const chunks: string[] = [];
    for (const r of result.rows) if (r.chunk_from !== null && r.events !== null) chunks.push(r.events);
    if (this.codec && row.has_key_row) this.codec.keys.remember(stream.tenantId, stream.streamId, { keyId: row.key_id ?? null, wrapped: row.wrapped_key ?? null });
    let snapshot: StreamLoad<S>["snapshot"] = null;
    if (row.snapshot_version !== null) {
      let state: S | undefined;
      try {
        state = JSON.parse(row.state!) as S;
      } catch {
        state = undefined; // unreadable: reported as a snapshot with no state, for the caller to drop
      }
      snapshot = { version: row.snapshot_version, schemaVersion: row.snapshot_schema_version!, state: state as S };
    }
    return { snapshot, events: await this.streamEvents(stream, `[${chunks.join(",")}]`), head: row.head, streamType: row.stream_type };
  }

  /** Keeps the newest snapshot per stream and state schema version; an older one never overwrites a newer one. */
  async saveSnapshot(stream: StreamRef, version: number, schemaVersion: number, state: unknown): Promise<void> {
    await this.pool.query({
      name: "es_save_snapshot",
      text: SAVE_SNAPSHOT_SQL,
      values: [stream.tenantId, stream.streamId, stream.streamType, version, schemaVersion, JSON.stringify(state)],
    });
  }

  /** Drops a stream's snapshot of one state schema version (one that could not be used). */
  async deleteSnapshot(stream: StreamRef, schemaVersion: number): Promise<void> {
    await this.pool.query({
      name: "es_delete_snapshot",
      text: "DELETE FROM snapshots WHERE tenant_id = $1::text AND stream_id = $2::uuid AND schema_version = $3::int",
      values: [stream.tenantId, stream.streamId, schemaVersion],
    });
  }

  /** The highest position appended so far (committed or not yet visible). */
  async headPosition(): Promise<string> {
    const result = await this.pool.query<{ head: string }>("SELECT coalesce(max(position), 0)::text AS head FROM events");
    return result.rows[0]!.head;
  }

  /**
   * The last event appended in log order, as a checkpoint: what a caught-up reader's checkpoint
   * equals. Committed, but maybe not yet readable (below the watermark). Null for an empty store.
   */
  async head(): Promise<Checkpoint | null> {
    // Ordered by the qualified columns: a bare name would sort the text output columns.
    const result = await this.pool.query<{ transaction_id: string; position: string }>({
      name: "es_head",
      text: `SELECT e.transaction_id::text AS transaction_id, e.position::text AS position FROM events e
              ORDER BY e.transaction_id DESC, e.position DESC LIMIT 1`,
    });
    const row = result.rows[0];
    return row ? { transactionId: row.transaction_id, position: row.position } : null;
  }

  /** How many events lie after `checkpoint` in log order: a projection's lag, in events. */
  async countAfter(checkpoint: Checkpoint): Promise<number> {
    const result = await this.pool.query<{ n: string }>({
      name: "es_count_after",
      text: "SELECT count(*) AS n FROM events e WHERE (e.transaction_id, e.position) > ($1::bigint, $2::bigint)",
      values: [checkpoint.transactionId, checkpoint.position],
    });
    return Number(result.rows[0]!.n);
  }

  /**
   * Events read raw elsewhere (a projector's job carries them as stored) opened and upcast as this
   * store's own reads do: the keys of their streams are looked up once for the whole batch.
   */
  async open(events: readonly RecordedEvent[]): Promise<RecordedEvent[]> {
    if (this.codec) {
      const opened = await this.codec.open(events);
      return events.map((e, i) => ({ ...e, type: opened[i]!.type, schemaVersion: opened[i]!.schemaVersion, data: opened[i]!.data }));
    }
    return events.map((e) => ({ ...e, ...this.upcast({ type: e.type, schemaVersion: e.schemaVersion, data: e.data }) }));
  }

  /** A stream's events from the JSON the statements build, opened and upcast. */
  private async streamEvents(stream: StreamRef, json: string): Promise<StreamEvent[]> {
    const raw = JSON.parse(json) as [number, string, number, unknown][];
    if (!inVersionOrder(raw)) raw.sort((a, b) => a[0] - b[0]);
    const codec = this.codec;
    if (codec) {
      // One stream, one key: looked up once, and no intermediate object per event (a replay of ten
      // thousand events keeps them all alive at once, for the young generation to copy).
      const opener = await codec.streamOpener(stream, () => raw.some(([, type, schemaVersion, data]) => codec.holdsSealed(type, schemaVersion, data)));
      return raw.map(([streamVersion, type, schemaVersion, data]) => {
        const current = codec.openWith(opener, type, schemaVersion, data);
        return { streamVersion, type: current.type, data: current.data };
      });
    }
    return raw.map(([streamVersion, type, schemaVersion, data]) => {
      const current = this.upcast({ type, schemaVersion, data });
      return { streamVersion, type: current.type, data: current.data };
    });
  }

  /** Rows as recorded events: as stored (`raw`), opened in the stored schema (`stored`), or opened and upcast. */
  private async recorded(rows: readonly EventRow[], options: ReadOptions): Promise<RecordedEvent[]> {
    if (options.raw) return rows.map((row) => toRecorded(row, null));
    if (this.codec) {
      const opened = await this.codec.open(
        rows.map((row) => ({ tenantId: row.tenant_id, streamId: row.stream_id, type: row.event_type, schemaVersion: row.schema_version, data: row.data })),
        options.stored ? "stored" : "current",
      );
      return rows.map((row, i) => toRecorded(row, opened[i]!));
    }
    return rows.map((row) => toRecorded(row, options.stored ? null : this.upcast({ type: row.event_type, schemaVersion: row.schema_version, data: row.data })));
  }
}

/** Whether the events of a stream's JSON are in stream version order (as they nearly always come). */
function inVersionOrder(raw: readonly [number, ...unknown[]][]): boolean {
  for (let i = 1; i < raw.length; i++) if (raw[i]![0] < raw[i - 1]![0]) return false;
  return true;
}

function toRecorded(row: EventRow, current: { type: string; schemaVersion: number; data: unknown } | null): RecordedEvent {
  return {
    position: row.position,
    transactionId: row.transaction_id,
    eventId: row.event_id ?? "",
    tenantId: row.tenant_id,
    streamId: row.stream_id,
    streamType: row.stream_type,
    streamVersion: row.stream_version,
    type: current ? current.type : row.event_type,
    schemaVersion: current ? current.schemaVersion : row.schema_version,
    data: current ? current.data : row.data,
    metadata: row.metadata ?? (typeof row.correlation_id === "string" ? { correlationId: row.correlation_id } : {}),
    recordedAt: row.recorded_at,
    streamHash: row.stream_hash,
  };
}
