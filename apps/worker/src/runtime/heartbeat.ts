import type pg from "pg";

/**
 * Each worker process renews a row in `worker_heartbeats` every few seconds, saying what it does
 * (lanes it consumes, whether it publishes): `pnpm projections status` lists the live workers and
 * flags a silent one. Rows of workers silent for long are removed by the others.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | null = null;

  constructor(
    private readonly db: pg.Pool,
    readonly workerId: string,
    private readonly intervalMs: number,
    private readonly info: () => { publisher: boolean; details: Record<string, unknown> },
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    const beat = () => {
      this.beating ??= this.beat()
        .catch(this.onError)
        .finally(() => (this.beating = null));
    };
    beat();
    this.timer = setInterval(beat, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.beating;
    await this.db.query("DELETE FROM worker_heartbeats WHERE worker_id = $1", [this.workerId]).catch(this.onError);
  }

  private async beat(): Promise<void> {
    const { publisher, details } = this.info();
    const [host, pid] = [details.host ?? "", details.pid ?? process.pid];
    await this.db.query(
      `WITH gone AS (DELETE FROM worker_heartbeats WHERE seen_at < now() - interval '1 hour')
       INSERT INTO worker_heartbeats (worker_id, pid, host, publisher, info) VALUES ($1, $2, $3, $4, $5::jsonb)
       ON CONFLICT (worker_id) DO UPDATE SET seen_at = now(), publisher = EXCLUDED.publisher, info = EXCLUDED.info`,
      [this.workerId, pid, host, publisher, JSON.stringify(details)],
    );
  }
}

export interface WorkerSeen {
  workerId: string;
  pid: number;
  host: string;
  publisher: boolean;
  startedAt: Date;
  secondsSinceSeen: number;
  info: Record<string, unknown>;
}

/** Workers that beat within the last hour, most recently seen first. */
export async function readWorkers(db: pg.Pool | pg.ClientBase): Promise<WorkerSeen[]> {
  const { rows } = await db.query<{ worker_id: string; pid: number; host: string; publisher: boolean; started_at: Date; seconds: number; info: Record<string, unknown> }>(
    `SELECT worker_id, pid, host, publisher, started_at, extract(epoch FROM now() - seen_at)::float8 AS seconds, info
       FROM worker_heartbeats ORDER BY seen_at DESC`,
  );
  return rows.map((r) => ({ workerId: r.worker_id, pid: r.pid, host: r.host, publisher: r.publisher, startedAt: r.started_at, secondsSinceSeen: r.seconds, info: r.info }));
}
