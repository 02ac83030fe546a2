import { randomBytes, randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import type pg from "pg";
import { CommandBus, type CommandEnvelope } from "@coop/command-bus";
import { eventsAppendedChannel, loadConfig } from "@coop/config";
import { createPool } from "@coop/database";
import { createTestDatabase, type TestDatabase } from "@coop/database/testing";
import { aggregates } from "@coop/domain";
import { CommandStore, compareCheckpoints, type Checkpoint, type EventStore } from "@coop/event-store";
import { projections } from "../projections/projections";
import { projectionCheckpoint, readLanes, readProjections, readPublisher, type LaneRow, type ProjectionRow } from "../runtime/checkpoints";
import { readWorkers } from "../runtime/heartbeat";
import { leaseHolder, PUBLISHER_LEASE } from "../runtime/lease";
import { announceForgottenKey, personalDataEventStore } from "@coop/process";
import { deleteKeysWithPrefix } from "../runtime/redis";
import type { AnyCommand } from "./feature";
import { TEST_USER } from "./features/comments.feature";
import { ExpectedModel } from "./model";
import { Random } from "./random";
import type { Workload } from "./workload";
import { WorkerProcess, type WorkerEnv } from "./workers";
import { waitUntil } from "./wait";

export const REDIS_URL = process.env.REDIS_URL || "redis://127.0.0.1:6379";

/**
 * One test's world: its own database (migrated), its own queue prefix, the real write side
 * (CommandBus over EventStore, nudging the publisher after each commit as the gateway does), and
 * real worker processes. `close()` leaves nothing behind: processes, Redis keys, database.
 */
export class TestStack {
  readonly workers: WorkerProcess[] = [];
  readonly model = new ExpectedModel();
  private workerCount = 0;

  private constructor(
    readonly db: TestDatabase,
    readonly prefix: string,
    readonly pool: pg.Pool,
    readonly eventStore: EventStore,
    readonly bus: CommandBus,
    readonly redis: Redis,
  ) {}

  static async create(name: string, options: { snapshotEvery?: number } = {}): Promise<TestStack> {
    const db = await createTestDatabase(`coop_test_worker_${name}`);
    const prefix = `coop-test-${name.replace(/_/g, "-")}-${randomBytes(4).toString("hex")}`;
    // pool.end() resolves before the sockets close, so the forced DROP DATABASE at the end may
    // still terminate idle clients: expected then, and not worth a line on stderr.
    const pool = createPool(db.url, { max: 12, application_name: "worker-test", onError: () => undefined });
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    // The gateway's write side: personal fields sealed with the workers' secret (the test one), and
    // a forgotten family announced to the workers as the gateway does.
    const eventStore = personalDataEventStore(pool, loadConfig({ NODE_ENV: "test" }), {
      onForgotten: (stream) => announceForgottenKey(redis, prefix, stream, () => undefined),
    });
    const channel = eventsAppendedChannel(prefix);
    const bus = new CommandBus({
      eventStore,
      commandStore: new CommandStore(pool),
      aggregates,
      snapshotEvery: options.snapshotEvery,
      // Nudge the publisher after every commit, as the gateway does.
      onAppended: (receipt) => void redis.publish(channel, receipt.position).catch(() => undefined),
    });
    return new TestStack(db, prefix, pool, eventStore, bus, redis);
  }

  workerEnv(extra: Partial<WorkerEnv> = {}): WorkerEnv {
    return { DATABASE_URL: this.db.url, REDIS_URL, QUEUE_PREFIX: this.prefix, WORKER_JOB_LOCK_MS: "3000", WORKER_DB_POOL: "10", ...extra };
  }

  startWorker(extra: Partial<WorkerEnv> = {}): WorkerProcess {
    const worker = new WorkerProcess(`worker-${++this.workerCount}`, this.workerEnv(extra));
    this.workers.push(worker);
    return worker;
  }

  startWorkers(n: number, extra: Partial<WorkerEnv> = {}): WorkerProcess[] {
    return Array.from({ length: n }, () => this.startWorker(extra));
  }

  running(): WorkerProcess[] {
    return this.workers.filter((w) => w.running);
  }

  /**
   * Sends every stream plan's commands in order (plans interleaved, `concurrency` in flight),
   * checks each verdict against the model's prediction and records the accepted ones.
   * `between` runs every `everyMs` while commands flow (kills, Redis flushes, ...).
   */
  async run(workload: Workload, options: { concurrency?: number; everyMs?: number; between?: () => Promise<void> } = {}): Promise<void> {
    const rnd = new Random(workload.seed + 1);
    const cursors = workload.plans.map(() => 0);
    const busy = new Set<number>();
    const remaining = () => workload.plans.some((f, i) => cursors[i]! < f.commands.length);
    let failure: Error | null = null;

    const lane = async () => {
      while (!failure) {
        const ready = workload.plans.map((_, i) => i).filter((i) => !busy.has(i) && cursors[i]! < workload.plans[i]!.commands.length);
        if (ready.length === 0) {
          if (!remaining()) return;
          await new Promise((r) => setTimeout(r, 1));
          continue;
        }
        const i = rnd.pick(ready);
        busy.add(i);
        const plan = workload.plans[i]!;
        const command = plan.commands[cursors[i]!]!;
        try {
          await this.dispatch(plan.tenantId, command);
          cursors[i]!++;
        } catch (error) {
          failure = error as Error;
        } finally {
          busy.delete(i);
        }
      }
    };

    let ticking = true;
    const ticker = (async () => {
      if (!options.between) return;
      while (ticking && !failure) {
        await new Promise((r) => setTimeout(r, options.everyMs ?? 1_000));
        if (ticking) await options.between();
      }
    })();
    try {
      await Promise.all(Array.from({ length: options.concurrency ?? 16 }, lane));
    } finally {
      ticking = false;
    }
    await ticker;
    if (failure) throw failure;
  }

  async dispatch(tenantId: string, command: AnyCommand): Promise<void> {
    const verdict = this.model.predict(tenantId, command);
    const envelope: CommandEnvelope<AnyCommand> = { commandId: randomUUID(), tenantId, userId: TEST_USER, correlationId: randomUUID(), ...command };
    const result = await this.bus.dispatch(envelope);
    if (result.ok !== verdict.accepted) {
      throw new Error(
        `${command.type} for ${tenantId}/${String(command.payload.familyId ?? command.payload.coordinatorId)}: expected ${verdict.accepted ? "acceptance" : `refusal (${(verdict as { reason: string }).reason})`}, got ${JSON.stringify(result)}`,
      );
    }
    if (result.ok) this.model.accept(tenantId, command);
    else this.model.refused++;
  }

  /** The last event in log order (what a caught-up checkpoint equals). */
  async head(): Promise<Checkpoint | null> {
    return this.eventStore.head();
  }

  async projectionRows(): Promise<ProjectionRow[]> {
    return readProjections(this.pool);
  }

  /** Each projection's row and its position: the least of its lanes' (effective) positions. */
  async positions(): Promise<(ProjectionRow & { at: Checkpoint; laneRows: LaneRow[] })[]> {
    const [rows, lanes, publisher] = await Promise.all([readProjections(this.pool), readLanes(this.pool), readPublisher(this.pool)]);
    return rows.map((r) => {
      const own = lanes.filter((l) => l.projection === r.name);
      return { ...r, at: projectionCheckpoint(own, publisher), laneRows: own };
    });
  }

  async describe(): Promise<string> {
    const [head, rows] = await Promise.all([this.head(), this.positions()]);
    const workers = this.workers.map((w) => `${w.label} pid ${w.pid} ${w.running ? "running" : "exited"}`).join(", ");
    const lastLog = this.running()[0]?.log() ?? this.workers.at(-1)?.log() ?? "";
    const at = (c: Checkpoint) => `${c.transactionId}/${c.position}`;
    return (
      `head ${head ? at(head) : "none"}; projections: ` +
      rows
        .map((r) => `${r.name} ${r.status} v${r.version} at ${at(r.at)} [lanes ${r.laneRows.map((l) => `${l.lane}:${at(l.checkpoint)}${l.parkedStreams ? `(${l.parkedStreams} parked)` : ""}`).join(" ")}]${r.lastError ? ` (${r.lastError})` : ""}`)
        .join("; ") +
      `\nworkers: ${workers}\nlast worker output:\n${lastLog.slice(-3_000)}`
    );
  }

  /** Until a worker holds the publisher lease and every running worker consumes every lane (jobs can flow). */
  async waitForWorkers(timeoutMs = 60_000): Promise<void> {
    await waitUntil(
      "a worker to hold the publisher lease and the workers to consume every lane",
      async () => {
        if (!(await leaseHolder(this.pool, PUBLISHER_LEASE))) return false;
        const rows = await readProjections(this.pool);
        const lanes = rows.filter((r) => projections.some((p) => p.name === r.name)).reduce((n, r) => n + r.lanes, 0);
        const seen = await readWorkers(this.pool);
        const running = this.running();
        return running.length > 0 && running.every((w) => seen.some((s) => s.pid === w.pid && Array.isArray(s.info.lanes) && s.info.lanes.length === lanes));
      },
      { timeoutMs, intervalMs: 100, describe: () => this.describe() },
    );
  }

  /** Until every listed projection (default all) has applied everything up to the head. */
  async waitForHead(names: readonly string[] = projections.map((p) => p.name), timeoutMs = 90_000): Promise<void> {
    await waitUntil(
      `projections ${names.join(", ")} to reach the head of the event store`,
      async () => {
        const head = await this.head();
        if (!head) return true;
        const rows = await this.positions();
        return names.every((n) => {
          const row = rows.find((r) => r.name === n);
          return row && row.status === "RUNNING" && compareCheckpoints(row.at, head) >= 0;
        });
      },
      { timeoutMs, intervalMs: 200, describe: () => this.describe() },
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop(10_000).catch(() => undefined)));
    await deleteKeysWithPrefix(this.redis, this.prefix).catch(() => undefined);
    await this.redis.quit().catch(() => this.redis.disconnect());
    await this.pool.end().catch(() => undefined);
    // Debugging aid: WORKER_TEST_KEEP_DB=1 leaves the database for inspection.
    if (process.env.WORKER_TEST_KEEP_DB) console.warn(`kept test database ${this.db.name}`);
    else await this.db.drop();
  }
}
