import type { RecordedEvent } from "@coop/event-store";

/** Key of a per-family row: tenant and stream id (family ids are scoped by tenant). */
export function streamKey(tenantId: string, streamId: string): string {
  return `${tenantId}\u0000${streamId}`;
}

export function splitStreamKey(key: string): [tenantId: string, familyId: string] {
  const at = key.indexOf("\u0000");
  return [key.slice(0, at), key.slice(at + 1)];
}

export interface FoldResult<Row> {
  /** Final rows that must be written (created or changed). */
  upserts: Row[];
  /** Keys of rows that existed before the batch and are gone after it. */
  deletes: string[];
}

/**
 * Folds a batch over the rows it touches, in memory: `evolve` is pure (row | null, event) ->
 * row | null. Only the final state of each row is written, so a batch costs one read and at
 * most two writes whatever its size.
 */
export function foldByStream<Row>(
  events: readonly RecordedEvent[],
  loaded: ReadonlyMap<string, Row>,
  evolve: (row: Row | null, event: RecordedEvent) => Row | null,
): FoldResult<Row> {
  const current = new Map<string, Row | null>();
  for (const event of events) {
    const key = streamKey(event.tenantId, event.streamId);
    const before = current.has(key) ? current.get(key)! : (loaded.get(key) ?? null);
    current.set(key, evolve(before, event));
  }
  const upserts: Row[] = [];
  const deletes: string[] = [];
  for (const [key, row] of current) {
    if (row !== null) upserts.push(row);
    else if (loaded.has(key)) deletes.push(key);
  }
  return { upserts, deletes };
}

/** The distinct (tenant, stream) pairs of a batch, as key columns for a bulk select. */
export function streamKeys(events: readonly RecordedEvent[]): [string, string][] {
  const seen = new Map<string, [string, string]>();
  for (const e of events) {
    const key = streamKey(e.tenantId, e.streamId);
    if (!seen.has(key)) seen.set(key, [e.tenantId, e.streamId]);
  }
  return [...seen.values()];
}

/** Days since 1970-01-01 of a `YYYY-MM-DD` date; throws on anything else. */
export function dayNumber(date: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error(`not a YYYY-MM-DD date: ${JSON.stringify(date)}`);
  const ms = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(ms)) throw new Error(`not a calendar date: ${date}`);
  return ms / 86_400_000;
}

/** The later of two optional `YYYY-MM-DD` dates (ISO dates order as strings). */
export function laterDate(a: string | null, b: string): string {
  return a === null || b > a ? b : a;
}

/** Describes an event for error messages: enough to find it in the event store. */
export function describeEvent(e: RecordedEvent): string {
  return `${e.type} (position ${e.position}, tenant ${e.tenantId}, stream ${e.streamId}, version ${e.streamVersion})`;
}
