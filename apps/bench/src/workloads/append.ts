import { randomUUID } from "node:crypto";
import type pg from "pg";
import { EventStore, type NewEvent } from "@coop/event-store";
import { latencyFigures, runConcurrent, type LatencyFigures } from "../stats";

/** One event of about 300 bytes (data and metadata as JSON), shaped like a payment. */
export function sampleEvent(i: number): NewEvent {
  return {
    type: "PaymentReceived",
    schemaVersion: 1,
    data: { amountCents: 12_500 + (i % 1000), paidOn: "2026-11-01", dueOn: "2026-10-28", method: "CARD", transactionId: `tx-${i}-${"x".repeat(40)}` },
    metadata: { commandId: randomUUID(), correlationId: randomUUID(), userId: "bench-user", tenantId: "bench" },
  };
}

export interface AppendShape {
  appends: number;
  inFlight: number;
  eventsPerAppend: number;
  streams: number;
}

export const SHAPES = {
  append_concurrent: { appends: 20_000, inFlight: 16, eventsPerAppend: 1, streams: 1_000 },
  append_sequential: { appends: 5_000, inFlight: 1, eventsPerAppend: 1, streams: 1_000 },
  append_batch: { appends: 2_000, inFlight: 16, eventsPerAppend: 10, streams: 1_000 },
} satisfies Record<string, AppendShape>;

/**
 * Appends round-robin over `streams` fresh streams with the expected version enforced. Stream k
 * receives appends k, k+streams, ...; with 16 in flight over 1,000 streams, appends to one stream
 * never overlap, so the expected version is known without reading.
 */
async function appendWorkload(
  shape: AppendShape,
  append: (streamId: string, expectedVersion: number, events: NewEvent[]) => Promise<boolean>,
): Promise<LatencyFigures & { eventsPerSec: number }> {
  const streams = Array.from({ length: shape.streams }, () => randomUUID());
  const events = Array.from({ length: shape.eventsPerAppend }, (_, i) => sampleEvent(i));
  const { latenciesMs, elapsedMs } = await runConcurrent(shape.appends, shape.inFlight, async (i) => {
    const streamId = streams[i % shape.streams]!;
    const expected = Math.floor(i / shape.streams) * shape.eventsPerAppend;
    if (!(await append(streamId, expected, events))) throw new Error(`append ${i} clashed at version ${expected}`);
  });
  const figures = latencyFigures(latenciesMs, elapsedMs);
  return { ...figures, eventsPerSec: Math.round(figures.perSec * shape.eventsPerAppend) };
}

export function appendThroughEventStore(pool: pg.Pool, shape: AppendShape) {
  const store = new EventStore(pool);
  return appendWorkload(shape, async (streamId, expected, events) => {
    const result = await store.append({ tenantId: "bench", streamType: "Family", streamId }, expected, events);
    return result.ok;
  });
}

// The raw-SQL baseline: the least a PostgreSQL append with an enforced expected version can do,
// sent the best way plain SQL can be: as named prepared statements, like ours, so that each of
// the pool's connections parses and plans it once rather than on every append.
export const RAW_TABLE = `
CREATE TABLE IF NOT EXISTS raw_events (
  position bigserial PRIMARY KEY,
  stream_id uuid NOT NULL,
  stream_version int NOT NULL,
  type text NOT NULL,
  data jsonb NOT NULL,
  metadata jsonb NOT NULL,
  UNIQUE (stream_id, stream_version)
)`;

const RAW_APPEND_ONE = {
  name: "raw_append_one",
  text: `
INSERT INTO raw_events (stream_id, stream_version, type, data, metadata)
SELECT $1::uuid, $2::int + 1, $3, $4::jsonb, $5::jsonb
WHERE (SELECT coalesce(max(stream_version), 0) FROM raw_events WHERE stream_id = $1::uuid) = $2::int`,
};

const RAW_APPEND_MANY = {
  name: "raw_append_many",
  text: `
INSERT INTO raw_events (stream_id, stream_version, type, data, metadata)
SELECT $1::uuid, $2::int + t.n, t.type, t.data, t.metadata
FROM unnest($3::text[], $4::jsonb[], $5::jsonb[]) WITH ORDINALITY AS t(type, data, metadata, n)
WHERE (SELECT coalesce(max(stream_version), 0) FROM raw_events WHERE stream_id = $1::uuid) = $2::int`,
};

export async function appendRaw(pool: pg.Pool, shape: AppendShape) {
  await pool.query(RAW_TABLE);
  return appendWorkload(shape, async (streamId, expected, events) => {
    const result =
      events.length === 1
        ? await pool.query({ ...RAW_APPEND_ONE, values: [streamId, expected, events[0]!.type, JSON.stringify(events[0]!.data), JSON.stringify(events[0]!.metadata)] })
        : await pool.query({
            ...RAW_APPEND_MANY,
            values: [streamId, expected, events.map((e) => e.type), events.map((e) => JSON.stringify(e.data)), events.map((e) => JSON.stringify(e.metadata))],
          });
    return result.rowCount === events.length;
  });
}
