import type pg from "pg";

/**
 * A role one process holds at a time (the publisher, a rebuild), for as long as it renews it:
 * a row in `leases` with an expiry. Unlike a session's advisory lock, it does not outlive a
 * holder that stops working while its connection stays open (SIGSTOP, a long pause, a partition
 * that keeps TCP alive): it expires, and another process takes it.
 */
export class Lease {
  private held = false;

  constructor(
    private readonly db: pg.Pool,
    readonly name: string,
    /** Who holds it: unique per process (e.g. `coop-worker:host:pid:uuid`). */
    readonly holder: string,
    /** How long it lasts without renewal. */
    readonly ttlMs: number,
  ) {}

  get isHeld(): boolean {
    return this.held;
  }

  /**
   * Takes the lease if it is free, expired, or ours; renews it if ours. True if this process holds
   * it now. Time is the database's, so clocks of the processes need not agree.
   */
  async acquire(): Promise<boolean> {
    const { rows } = await this.db.query<{ holder: string }>(
      `INSERT INTO leases AS l (name, holder, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3::float8 / 1000))
       ON CONFLICT (name) DO UPDATE
         SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at, renewed_at = now(),
             acquired_at = CASE WHEN l.holder = EXCLUDED.holder THEN l.acquired_at ELSE now() END
         WHERE l.holder = EXCLUDED.holder OR l.expires_at < now()
       RETURNING holder`,
      [this.name, this.holder, this.ttlMs],
    );
    this.held = rows[0]?.holder === this.holder;
    return this.held;
  }

  /** Gives the lease up at once (a graceful stop), so that another process takes over without waiting. */
  async release(): Promise<void> {
    const wasHeld = this.held;
    this.held = false;
    if (!wasHeld) return;
    await this.db.query("DELETE FROM leases WHERE name = $1 AND holder = $2", [this.name, this.holder]);
  }
}

/** Who holds a lease and until when, or null (free or expired). */
export async function leaseHolder(db: pg.Pool | pg.ClientBase, name: string): Promise<{ holder: string; expiresAt: Date; acquiredAt: Date } | null> {
  const { rows } = await db.query<{ holder: string; expires_at: Date; acquired_at: Date }>(
    "SELECT holder, expires_at, acquired_at FROM leases WHERE name = $1 AND expires_at > now()",
    [name],
  );
  return rows[0] ? { holder: rows[0].holder, expiresAt: rows[0].expires_at, acquiredAt: rows[0].acquired_at } : null;
}

export const PUBLISHER_LEASE = "publisher";

/** The lease of a projection's rebuild. */
export function rebuildLease(projection: string): string {
  return `rebuild:${projection}`;
}
