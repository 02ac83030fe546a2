/**
 * Settings for every PostgreSQL session that writes read models or checkpoints.
 *
 * synchronous_commit off: a read model and its checkpoint commit in one transaction and are
 * derived from the event store, so a commit lost in a server crash (the last few milliseconds)
 * is lost together with its checkpoint and simply applied again. Waiting for the WAL flush bought
 * nothing but latency. (The event store's appends, in the gateway, stay synchronous: they are
 * the acknowledged facts.)
 *
 * gin_pending_list_limit: GIN indexes (the trigram search index) buffer inserts in a pending list
 * that every search scans linearly until VACUUM merges it; at the default 4 MB a busy projector
 * made searches 100 times slower. At 64 kB (the minimum) writers merge it as they go.
 */
export const READ_MODEL_WRITER_SETTINGS = { synchronous_commit: "off", gin_pending_list_limit: 64 } as const;
