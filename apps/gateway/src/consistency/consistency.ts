// Read your writes (CONTRACT section 6). A receipt's position is a consistency token: a read may
// wait until the read models it reads include every event up to it. What a gateway knows of the
// read models' progress is a board, moved by the workers' announcements after their commits; a
// read that the board already answers costs nothing; one that must wait is woken by the
// announcement it needs. Announcements may be lost (Redis pub/sub), so while anything waits, one
// timer per gateway re-reads the positions from the database: never a loop per request.
import type pg from "pg";
import { START, type Checkpoint } from "@coop/event-store";
import { ProgressBoard, readLanes, readProjections, readPublisher, type Progress } from "@coop/projection-state";
import type { ChangeFeed } from "./change-feed";

/** The projection whose rows are families (and announce their changes). */
export const FAMILY_DETAIL = "family-detail";

/** Waited too long, or waiting cannot help (the read model is stopped, the stream parked). */
export class ConsistencyTimeout extends Error {
  override readonly name = "ConsistencyTimeout";
}

export interface ConsistencyOptions {
  /** The gateway's own pool (positions, events, dead letters: no personal data). */
  pool: pg.Pool;
  feed: ChangeFeed;
  /** CONSISTENCY_TIMEOUT_MS. */
  timeoutMs: number;
  /** While something waits, positions are re-read from the database this often (default 250 ms). */
  fallbackMs?: number;
  onWait?: (outcome: "immediate" | "waited" | "timeout", seconds: number) => void;
}

interface Waiter {
  satisfied(): boolean;
  /** Set when an announcement says this waiter's family row reached its version. */
  family?: { key: string; version: number; seen: boolean };
  done(error?: Error): void;
  /** Projections whose stopping ends the wait at once. */
  projections: readonly string[];
}

const RESOLVED_CACHE = 10_000;

export class Consistency {
  private readonly board = new ProgressBoard();
  private boardKnown = false;
  private refreshing: Promise<void> | null = null;
  private refreshAgain = false;
  private heardDuringRefresh: Progress[] = [];
  private readonly waiters = new Set<Waiter>();
  private readonly familyWaiters = new Map<string, Set<Waiter>>();
  private timer: NodeJS.Timeout | null = null;
  /** position -> the checkpoint of the last event at or before it (never changes once known). */
  private readonly resolved = new Map<string, Checkpoint>();
  private readonly stopListening: () => void;
  readonly timeoutMs: number;

  constructor(private readonly options: ConsistencyOptions) {
    this.timeoutMs = options.timeoutMs;
    this.stopListening = options.feed.listen({
      progress: (progress) => {
        // A refresh in flight may read the database before this commit: applied after it, too.
        if (this.refreshing) this.heardDuringRefresh.push(progress);
        if (!this.boardKnown) return; // the first refresh reads it all
        if (!this.board.apply(progress)) this.scheduleRefresh();
        this.check();
      },
      changes: (projection, changes) => {
        if (projection !== FAMILY_DETAIL || this.familyWaiters.size === 0) return;
        let woke = false;
        for (const change of changes) {
          const waiting = this.familyWaiters.get(familyKey(change.tenantId, change.streamId));
          if (!waiting) continue;
          for (const waiter of waiting) {
            if (waiter.family && change.version >= waiter.family.version) {
              waiter.family.seen = true;
              woke = true;
            }
          }
        }
        if (woke) this.check();
      },
      reconnected: () => this.scheduleRefresh(),
    });
  }

  /** Whether announcements can arrive now (else only the fallback moves waits along). */
  get live(): boolean {
    return this.options.feed.live;
  }

  /** A deadline for a read starting now. */
  deadline(): number {
    return Date.now() + this.timeoutMs;
  }

  /** Until every listed projection's read model includes every event up to `position` (in the store's order). */
  async untilIncluded(projections: readonly string[], position: string, deadline: number): Promise<void> {
    if (projections.length === 0) return;
    const started = performance.now();
    const target = await this.checkpointAt(position);
    if (this.boardKnown && this.board.includes(projections, target)) {
      this.options.onWait?.("immediate", (performance.now() - started) / 1000);
      return;
    }
    await this.refresh();
    this.failIfStopped(projections);
    if (this.board.includes(projections, target)) {
      this.options.onWait?.("immediate", (performance.now() - started) / 1000);
      return;
    }
    await this.measured(started, this.wait({ satisfied: () => this.board.includes(projections, target), projections }, deadline, `the read models (${projections.join(", ")}) did not include position ${position} within ${this.timeoutMs} ms`));
  }

  /**
   * The family's row once it reflects `version` of its stream (the receipt's), read by `load`;
   * woken by the row's change announcement, or by the family read model reaching `position`.
   */
  async familyAt<T extends { version: number }>(
    tenantId: string,
    familyId: string,
    version: number,
    position: string,
    load: () => Promise<T | null>,
    deadline: number,
  ): Promise<T> {
    const started = performance.now();
    let row = await load();
    if (row && row.version >= version) {
      this.options.onWait?.("immediate", (performance.now() - started) / 1000);
      return row;
    }
    const target = await this.checkpointAt(position);
    const key = familyKey(tenantId, familyId);
    const timeoutMessage = `the family read model did not reach version ${version} of the family within ${this.timeoutMs} ms`;
    let boardSaysIncluded = false;
    for (;;) {
      await this.failIfHeldUp(tenantId, familyId, version);
      const family = { key, version, seen: false };
      await this.measured(
        started,
        this.wait({ family, projections: [FAMILY_DETAIL], satisfied: () => family.seen || (!boardSaysIncluded && this.board.includes([FAMILY_DETAIL], target)) }, deadline, timeoutMessage),
        false,
      );
      boardSaysIncluded ||= !family.seen;
      row = await load();
      if (row && row.version >= version) {
        this.options.onWait?.("waited", (performance.now() - started) / 1000);
        return row;
      }
    }
  }

  async close(): Promise<void> {
    this.stopListening();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const waiter of [...this.waiters]) waiter.done(new ConsistencyTimeout("the gateway is shutting down"));
  }

  private async measured(started: number, waiting: Promise<void>, report = true): Promise<void> {
    try {
      await waiting;
      if (report) this.options.onWait?.("waited", (performance.now() - started) / 1000);
    } catch (error) {
      this.options.onWait?.("timeout", (performance.now() - started) / 1000);
      throw error;
    }
  }

  private wait(spec: Pick<Waiter, "satisfied" | "family" | "projections">, deadline: number, timeoutMessage: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        reject(new ConsistencyTimeout(timeoutMessage));
        return;
      }
      let timer: NodeJS.Timeout | undefined = undefined;
      const waiter: Waiter = {
        ...spec,
        done: (error) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          if (waiter.family) {
            const set = this.familyWaiters.get(waiter.family.key);
            set?.delete(waiter);
            if (set?.size === 0) this.familyWaiters.delete(waiter.family.key);
          }
          if (this.waiters.size === 0 && this.timer) {
            clearInterval(this.timer);
            this.timer = null;
          }
          if (error) reject(error);
          else resolve();
        },
      };
      timer = setTimeout(() => waiter.done(new ConsistencyTimeout(timeoutMessage)), remaining);
      this.waiters.add(waiter);
      if (waiter.family) {
        let set = this.familyWaiters.get(waiter.family.key);
        if (!set) this.familyWaiters.set(waiter.family.key, (set = new Set()));
        set.add(waiter);
      }
      // Announcements may be lost: while anything waits, the positions are re-read now and then.
      this.timer ??= setInterval(() => this.scheduleRefresh(), this.options.fallbackMs ?? 250);
      if (waiter.satisfied()) waiter.done();
    });
  }

  /** Wakes every waiter that the board (or an announcement) now satisfies; ends those of stopped projections. */
  private check(): void {
    for (const waiter of [...this.waiters]) {
      if (waiter.satisfied()) waiter.done();
      else {
        const stopped = this.board.stopped(waiter.projections);
        if (stopped.length > 0) waiter.done(new ConsistencyTimeout(stoppedMessage(this.board, stopped)));
      }
    }
  }

  private failIfStopped(projections: readonly string[]): void {
    const stopped = this.board.stopped(projections);
    if (stopped.length > 0) throw new ConsistencyTimeout(stoppedMessage(this.board, stopped));
  }

  /** A family whose stream is parked in its read model will not get there by waiting. */
  private async failIfHeldUp(tenantId: string, familyId: string, version: number): Promise<void> {
    const { rows } = await this.options.pool.query<{ stream_version: number }>(
      "SELECT stream_version FROM dead_letters WHERE projection = $1 AND tenant_id = $2 AND stream_id = $3::uuid AND stream_version <= $4 LIMIT 1",
      [FAMILY_DETAIL, tenantId, familyId, version],
    );
    if (rows.length > 0) {
      throw new ConsistencyTimeout(`the family read model holds this family's events back from version ${rows[0]!.stream_version} (parked: see deadLetters)`);
    }
    if (!this.boardKnown) await this.refresh();
    this.failIfStopped([FAMILY_DETAIL]);
  }

  /** The store's order is (transaction, position): the last event at or before `position` marks the point. */
  private async checkpointAt(position: string): Promise<Checkpoint> {
    const known = this.resolved.get(position);
    if (known) return known;
    const { rows } = await this.options.pool.query<{ transaction_id: string; position: string }>(
      // Qualified: the text alias "position" would sort as text ("9" after "11").
      "SELECT e.transaction_id::text AS transaction_id, e.position::text AS position FROM events e WHERE e.position <= $1::bigint ORDER BY e.position DESC LIMIT 1",
      [position],
    );
    const at = rows[0] ? { transactionId: rows[0].transaction_id, position: rows[0].position } : START;
    // A position that exists resolves for good; a gap may yet be filled below it (a commit in flight).
    if (rows[0]?.position === position) {
      if (this.resolved.size >= RESOLVED_CACHE) this.resolved.delete(this.resolved.keys().next().value!);
      this.resolved.set(position, at);
    }
    return at;
  }

  /** Re-reads every position from the database (one read at a time for the whole gateway). */
  private refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      try {
        do {
          this.refreshAgain = false;
          this.heardDuringRefresh = [];
          const [projections, lanes, publisher] = await Promise.all([readProjections(this.options.pool), readLanes(this.options.pool), readPublisher(this.options.pool)]);
          this.board.refresh(projections, lanes, publisher);
          // The board only ever moves forward: what was announced meanwhile may be newer than what was read.
          for (const progress of this.heardDuringRefresh) this.board.apply(progress);
          this.heardDuringRefresh = [];
          this.boardKnown = true;
          this.check();
        } while (this.refreshAgain && this.waiters.size > 0);
      } finally {
        this.refreshing = null;
        this.heardDuringRefresh = [];
      }
    })();
    return this.refreshing;
  }

  private scheduleRefresh(): void {
    if (this.waiters.size === 0) {
      this.boardKnown = false; // refreshed on the next read that needs it
      return;
    }
    this.refresh().catch(() => undefined); // the database away: waiters time out, or the next tick succeeds
  }
}

function familyKey(tenantId: string, familyId: string): string {
  return `${tenantId}\u0000${familyId.toLowerCase()}`;
}

function stoppedMessage(board: ProgressBoard, stopped: readonly string[]): string {
  return `the read model of ${stopped.map((p) => `${p} (${board.status(p)})`).join(", ")} is not being updated`;
}
