import pg from "pg";
import type { Logger } from "../logger";
import { errorMessage } from "../logger";

/**
 * The publisher's PostgreSQL advisory lock (two-int form; advisory locks are per database). A
 * session-level lock lives exactly as long as the connection that took it: when the holding
 * process dies, PostgreSQL drops the connection and the lock with it.
 */
export const PUBLISHER_LOCK = Object.freeze({ classId: 727_100, objId: 1 });

/** Who holds the publisher lock right now (for tests and operators), or null. */
export async function findPublisherLockHolder(
  db: pg.Pool | pg.ClientBase,
): Promise<{ backendPid: number; applicationName: string } | null> {
  const { rows } = await db.query<{ pid: number; application_name: string }>(
    `SELECT a.pid, a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 2`,
    [PUBLISHER_LOCK.classId, PUBLISHER_LOCK.objId],
  );
  return rows[0] ? { backendPid: rows[0].pid, applicationName: rows[0].application_name } : null;
}

/** Holds (or tries to hold) the publisher lock on a dedicated connection. */
export class LeaderLock {
  private client: pg.Client | null = null;
  private held = false;

  constructor(
    private readonly url: string,
    private readonly applicationName: string,
    private readonly logger: Logger,
    /** Called once when a held lock is lost (connection error or end). */
    private readonly onLost: (reason: string) => void,
  ) {}

  get isHeld(): boolean {
    return this.held;
  }

  /** True if this process now holds the lock. Never throws for a lock held elsewhere. */
  async tryAcquire(): Promise<boolean> {
    if (this.held) return true;
    const client = await this.connect();
    const { rows } = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1::int, $2::int) AS ok", [
      PUBLISHER_LOCK.classId,
      PUBLISHER_LOCK.objId,
    ]);
    this.held = rows[0]?.ok === true;
    return this.held;
  }

  /** A round trip on the lock's connection: detects a dead connection between events. */
  async check(): Promise<boolean> {
    if (!this.held || !this.client) return false;
    try {
      await this.client.query("SELECT 1");
      return this.held;
    } catch (error) {
      this.lost(`lock connection failed: ${errorMessage(error)}`);
      return false;
    }
  }

  /** Unlocks and closes the connection (closing alone would release it too). */
  async release(): Promise<void> {
    const client = this.client;
    this.client = null;
    const wasHeld = this.held;
    this.held = false;
    if (!client) return;
    try {
      if (wasHeld) await client.query("SELECT pg_advisory_unlock($1::int, $2::int)", [PUBLISHER_LOCK.classId, PUBLISHER_LOCK.objId]);
    } catch (error) {
      this.logger.warn({ err: errorMessage(error) }, "publisher lock: unlock failed (closing the connection releases it)");
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private async connect(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new pg.Client({ connectionString: this.url, application_name: this.applicationName });
    client.on("error", (error) => this.lost(`lock connection error: ${error.message}`, client));
    client.on("end", () => this.lost("lock connection ended", client));
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
    return client;
  }

  private lost(reason: string, client: pg.Client | null = this.client): void {
    if (client !== this.client) return; // an old, already released connection
    const wasHeld = this.held;
    this.held = false;
    this.client = null;
    client?.end().catch(() => undefined);
    if (wasHeld) this.onLost(reason);
  }
}
