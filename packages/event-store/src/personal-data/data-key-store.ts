// The data keys of the streams that hold personal data (one per family), in the table data_keys,
// wrapped (key-wrapper.ts). Each process keeps the keys it used for a bounded time: a forgotten key
// is dropped at once when the forgetting process says so (Redis), and at the latest when its cache
// life ends. A forgotten stream keeps a row with no key (a tombstone): it says "erased", not "never
// encrypted", and no key is ever made for it again.
import type pg from "pg";
import type { KeyWrapper } from "./key-wrapper";

/** A stream's key as this process knows it: the key, or that it was forgotten. */
export type DataKeyEntry = { key: Buffer; aad: Buffer } | { forgotten: true; aad: Buffer };

/** A data_keys row as SQL hands it over; `wrapped` null once forgotten. */
export interface DataKeyRow {
  keyId: string | null;
  wrapped: Buffer | null;
}

export interface StreamKeyRef {
  tenantId: string;
  streamId: string;
}

export interface DataKeyStoreOptions {
  /** How long a key stays cached in this process (DATA_KEY_CACHE_MS, default 60 s): the net under the notification. */
  cacheMs?: number;
  /** Keys cached at most (default 10,000); the oldest go first. */
  maxKeys?: number;
  /** Called once a stream is forgotten by this process: tell the others (e.g. Redis pub/sub). */
  onForgotten?: (stream: StreamKeyRef) => void;
}

/** "tenant/stream": the cache key, and the additional authenticated data of the stream's values. */
export function streamAad(tenantId: string, streamId: string): string {
  return `${tenantId}/${streamId}`;
}

const SELECT_KEYS_SQL = `
SELECT k.tenant_id, k.stream_id::text AS stream_id, k.key_id, k.wrapped_key
FROM data_keys k
JOIN unnest($1::text[], $2::uuid[]) AS wanted(tenant_id, stream_id)
  ON k.tenant_id = wanted.tenant_id AND k.stream_id = wanted.stream_id`;

export class DataKeyStore {
  private readonly cache = new Map<string, { entry: DataKeyEntry; until: number }>();
  private readonly cacheMs: number;
  private readonly maxKeys: number;

  constructor(
    private readonly pool: pg.Pool,
    readonly wrapper: KeyWrapper,
    private readonly options: DataKeyStoreOptions = {},
  ) {
    this.cacheMs = options.cacheMs ?? 60_000;
    this.maxKeys = options.maxKeys ?? 10_000;
  }

  /** Keys cached now (for tests and metrics). */
  get size(): number {
    return this.cache.size;
  }

  /** The stream's key if this process holds it and its cache life has not ended. */
  cached(tenantId: string, streamId: string): DataKeyEntry | undefined {
    const id = streamAad(tenantId, streamId);
    const hit = this.cache.get(id);
    if (!hit) return undefined;
    if (hit.until <= Date.now()) {
      this.cache.delete(id);
      return undefined;
    }
    return hit.entry;
  }

  /** Caches a row read elsewhere (the aggregate's load reads it in the same round trip). */
  remember(tenantId: string, streamId: string, row: DataKeyRow): DataKeyEntry {
    const aad = Buffer.from(streamAad(tenantId, streamId), "utf8");
    const entry: DataKeyEntry =
      row.wrapped === null || row.keyId === null ? { forgotten: true, aad } : { key: this.wrapper.unwrap(row.keyId, row.wrapped, aad), aad };
    this.put(tenantId, streamId, entry);
    return entry;
  }

  /** A new key for a stream that has none: cached only once `keep` is called (after its row committed). */
  newKey(tenantId: string, streamId: string): { row: { keyId: string; wrapped: Buffer }; entry: DataKeyEntry; keep(): void } {
    const aad = Buffer.from(streamAad(tenantId, streamId), "utf8");
    const key = this.wrapper.newDataKey();
    const entry: DataKeyEntry = { key, aad };
    return { row: this.wrapper.wrap(key, aad), entry, keep: () => this.put(tenantId, streamId, entry) };
  }

  /**
   * The keys of these streams: the cached ones, and the others read in one query (and cached).
   * A stream with no row (never encrypted) is absent from the answer.
   */
  async entries(streams: readonly StreamKeyRef[]): Promise<Map<string, DataKeyEntry>> {
    const found = new Map<string, DataKeyEntry>();
    const missing = new Map<string, StreamKeyRef>();
    for (const s of streams) {
      const id = streamAad(s.tenantId, s.streamId);
      const entry = this.cached(s.tenantId, s.streamId);
      if (entry) found.set(id, entry);
      else missing.set(id, s);
    }
    if (missing.size === 0) return found;
    const wanted = [...missing.values()];
    const result = await this.pool.query<{ tenant_id: string; stream_id: string; key_id: string | null; wrapped_key: Buffer | null }>({
      name: "es_select_data_keys",
      text: SELECT_KEYS_SQL,
      values: [wanted.map((s) => s.tenantId), wanted.map((s) => s.streamId)],
    });
    for (const row of result.rows) {
      found.set(streamAad(row.tenant_id, row.stream_id), this.remember(row.tenant_id, row.stream_id, { keyId: row.key_id, wrapped: row.wrapped_key }));
    }
    return found;
  }

  /** This process has just forgotten the stream (its append destroyed the key): drop it and tell the others. */
  forgotten(tenantId: string, streamId: string): void {
    this.put(tenantId, streamId, { forgotten: true, aad: Buffer.from(streamAad(tenantId, streamId), "utf8") });
    this.options.onForgotten?.({ tenantId, streamId });
  }

  /** Another process forgot the stream (a notification): drop the key now. */
  drop(tenantId: string, streamId: string): void {
    this.cache.delete(streamAad(tenantId, streamId));
  }

  /** Drops every cached key (a notification channel that was down may have missed forgets). */
  clear(): void {
    this.cache.clear();
  }

  /**
   * Rewraps every key not wrapped under the current secret, in batches, each row only if it is
   * still what was read (safe while the system runs, and to run twice). Returns how many.
   */
  async rewrap(batch = 500): Promise<{ rewrapped: number; remaining: number }> {
    let rewrapped = 0;
    for (;;) {
      const rows = await this.pool.query<{ tenant_id: string; stream_id: string; key_id: string; wrapped_key: Buffer }>(
        `SELECT tenant_id, stream_id::text AS stream_id, key_id, wrapped_key FROM data_keys
          WHERE wrapped_key IS NOT NULL AND key_id <> $1 AND key_id = ANY($2::text[])
          ORDER BY tenant_id, stream_id LIMIT $3`,
        [this.wrapper.currentKeyId, this.knownIds(), batch],
      );
      if (rows.rows.length === 0) break;
      const updates = rows.rows.map((row) => {
        const aad = Buffer.from(streamAad(row.tenant_id, row.stream_id), "utf8");
        const next = this.wrapper.wrap(this.wrapper.unwrap(row.key_id, row.wrapped_key, aad), aad);
        return { ...row, next };
      });
      const result = await this.pool.query(
        `UPDATE data_keys k SET key_id = u.key_id, wrapped_key = u.wrapped
           FROM unnest($1::text[], $2::uuid[], $3::text[], $4::bytea[], $5::text[]) AS u(tenant_id, stream_id, old_key_id, wrapped, key_id)
          WHERE k.tenant_id = u.tenant_id AND k.stream_id = u.stream_id AND k.key_id = u.old_key_id`,
        [
          updates.map((u) => u.tenant_id),
          updates.map((u) => u.stream_id),
          updates.map((u) => u.key_id),
          updates.map((u) => u.next.wrapped),
          updates.map((u) => u.next.keyId),
        ],
      );
      rewrapped += result.rowCount ?? 0;
    }
    const left = await this.pool.query<{ n: string }>("SELECT count(*) AS n FROM data_keys WHERE wrapped_key IS NOT NULL AND key_id <> $1", [this.wrapper.currentKeyId]);
    return { rewrapped, remaining: Number(left.rows[0]!.n) };
  }

  private knownIds(): string[] {
    return this.wrapper.knownKeyIds();
  }

  private put(tenantId: string, streamId: string, entry: DataKeyEntry): void {
    const id = streamAad(tenantId, streamId);
    this.cache.delete(id); // re-inserted last: the oldest entries are first in the map
    this.cache.set(id, { entry, until: Date.now() + this.cacheMs });
    if (this.cache.size > this.maxKeys) this.evictOldest();
  }

  /**
   * Drops the oldest eighth of the cache in one pass. One entry at a time cost 5 to 6 µs a key
   * once the cache was full: a Map's first live entry sits behind the holes its deletions left,
   * and every new key walked them all again.
   */
  private evictOldest(): void {
    let excess = this.cache.size - this.maxKeys + Math.ceil(this.maxKeys / 8);
    for (const id of this.cache.keys()) {
      if (excess-- <= 0) break;
      this.cache.delete(id);
    }
  }
}
