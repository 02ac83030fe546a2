// Live updates (CONTRACT section 6): the workers announce, after each commit of the family read
// model, which families changed (ids, versions, positions and event types through Redis, never a
// row's data); every gateway hears every announcement (ChangeFeed) and pushes to its own
// subscribers. familyChanged sends the row, read here under the subscriber's tenant and roles
// (row-level security, as queries read); tenantActivity sends the announcement itself.
//
// Ordering: per subscription and family, a message is sent only for a version above the last one
// sent, so nothing repeats or goes back (a row read newer than announced counts as sent, and the
// older announcement behind it is skipped). Reads are batched: one query per tenant and set of
// roles for all the families changed in a tick (a few at a time per such scope, later changes
// gathering meanwhile), however many subscribers watch them.
import type { StreamChange } from "@coop/projection-state";
import type { ChangeFeed } from "../consistency/change-feed";
import { FAMILY_DETAIL } from "../consistency/consistency";
import type { ReadScope } from "../reads/tenant-reader";
import { Outbox } from "./outbox";

/** What familyChanged sends: a family read-model row (its GraphQL shape). */
export interface VersionedRow {
  id: string;
  version: number;
}

/** What tenantActivity sends. */
export interface FamilyChangeMessage {
  familyId: string;
  version: number;
  position: string;
  events: string[];
}

export interface FamilyWatch<R> {
  readonly scope: ReadScope;
  /** The scope's tenant and roles as one key: rows read for one scope are sent to its watches only. */
  readonly scopeKey: string;
  readonly familyId: string;
  /** The newest version sent (0: none yet). */
  lastVersion: number;
  deliver(row: R): void;
}

export interface TenantWatch {
  readonly tenantId: string;
  deliver(change: FamilyChangeMessage): void;
}

export interface FamilyChangeHubOptions<R extends VersionedRow> {
  feed: Pick<ChangeFeed, "listen">;
  /** The rows of these families (lower-case ids) as `scope` may read them; missing ones left out. */
  load(scope: ReadScope, familyIds: readonly string[]): Promise<R[]>;
  onError(error: unknown): void;
  /** Families whose newest announced version is remembered, to drop late, older announcements (default 100,000). */
  rememberFamilies?: number;
}

interface ScopeBatch {
  scope: ReadScope;
  pending: Set<string>;
  /** Loads in flight for this scope. */
  running: number;
  /** A load is about to start (at the end of this tick). */
  scheduled: boolean;
}

/**
 * Loads in flight per scope: a change announced while one is running gets its own at once rather
 * than waiting for it (out-of-order answers are harmless: an older row than one sent is skipped);
 * past this, changes gather in the next load.
 */
const LOADS_PER_SCOPE = 4;

const key = (tenantId: string, familyId: string) => `${tenantId}\u0000${familyId}`;

/** Adds `watch` under `k`; the returned function removes it (and the key once its set is empty). */
function addWatch<K, W>(watches: Map<K, Set<W>>, k: K, watch: W): () => void {
  let set = watches.get(k);
  if (!set) watches.set(k, (set = new Set()));
  set.add(watch);
  return () => {
    const current = watches.get(k);
    current?.delete(watch);
    if (current?.size === 0) watches.delete(k);
  };
}

function scopeKey(scope: ReadScope): string {
  return `${scope.tenantId}\u0000${[...new Set(scope.roles)].sort().join(",")}`;
}

export class FamilyChangeHub<R extends VersionedRow> {
  /** tenant+family -> its watches. */
  private readonly families = new Map<string, Set<FamilyWatch<R>>>();
  /** tenant -> its tenantActivity watches. */
  private readonly tenants = new Map<string, Set<TenantWatch>>();
  /** tenant+family -> newest version announced (insertion order = least recently announced first). */
  private readonly announced = new Map<string, number>();
  private readonly batches = new Map<string, ScopeBatch>();
  private readonly stopListening: () => void;
  private readonly remember: number;
  private closed = false;

  constructor(private readonly options: FamilyChangeHubOptions<R>) {
    this.remember = options.rememberFamilies ?? 100_000;
    this.stopListening = options.feed.listen({
      changes: (projection, changes) => {
        if (projection === FAMILY_DETAIL) this.onChanges(changes);
      },
      // Announcements made while Redis was away are lost: re-read every watched family.
      reconnected: () => this.rereadAll(),
    });
  }

  /** Open subscriptions, by field. */
  get counts(): { familyChanged: number; tenantActivity: number } {
    let familyChanged = 0;
    for (const set of this.families.values()) familyChanged += set.size;
    let tenantActivity = 0;
    for (const set of this.tenants.values()) tenantActivity += set.size;
    return { familyChanged, tenantActivity };
  }

  watchFamily(scope: ReadScope, familyId: string, deliver: (row: R) => void): () => void {
    const watch: FamilyWatch<R> = { scope, scopeKey: scopeKey(scope), familyId: familyId.toLowerCase(), lastVersion: 0, deliver };
    return addWatch(this.families, key(scope.tenantId, watch.familyId), watch);
  }

  watchTenant(tenantId: string, deliver: (change: FamilyChangeMessage) => void): () => void {
    return addWatch(this.tenants, tenantId, { tenantId, deliver });
  }

  /** familyChanged's stream: the family's newest row after each change (older unsent rows superseded). */
  familyStream(scope: ReadScope, familyId: string): Outbox<R> {
    let stop = () => {};
    const outbox = new Outbox<R>({ kind: "latest" }, () => stop());
    stop = this.watchFamily(scope, familyId, (row) => outbox.push(row));
    return outbox;
  }

  /** tenantActivity's stream: every change in the tenant, at most `limit` unsent (then `onOverflow`). */
  tenantStream(tenantId: string, limit: number, onOverflow: () => void): Outbox<FamilyChangeMessage> {
    let stop = () => {};
    const outbox = new Outbox<FamilyChangeMessage>({ kind: "queue", limit }, () => stop(), onOverflow);
    stop = this.watchTenant(tenantId, (change) => outbox.push(change));
    return outbox;
  }

  close(): void {
    this.closed = true;
    this.stopListening();
    this.families.clear();
    this.tenants.clear();
    this.batches.clear();
  }

  private onChanges(changes: readonly StreamChange[]): void {
    for (const change of changes) {
      const familyId = change.streamId.toLowerCase();
      const k = key(change.tenantId, familyId);
      // An announcement older than one already heard (a lane handed over between workers, a
      // rebuild replaying) is behind what subscribers have: dropped.
      const known = this.announced.get(k);
      if (known !== undefined && change.version <= known) continue;
      this.announced.delete(k);
      this.announced.set(k, change.version);
      if (this.announced.size > this.remember) this.announced.delete(this.announced.keys().next().value!);

      const tenantWatches = this.tenants.get(change.tenantId);
      if (tenantWatches) {
        const message: FamilyChangeMessage = { familyId, version: change.version, position: change.position, events: change.events };
        for (const watch of tenantWatches) watch.deliver(message);
      }
      const watches = this.families.get(k);
      if (watches) {
        for (const watch of watches) if (watch.lastVersion < change.version) this.enqueueRead(watch.scope, familyId, watch.scopeKey);
      }
    }
  }

  private rereadAll(): void {
    for (const watches of this.families.values()) for (const watch of watches) this.enqueueRead(watch.scope, watch.familyId, watch.scopeKey);
  }

  /** Queues a family's read in its scope's next load. */
  private enqueueRead(scope: ReadScope, familyId: string, sk = scopeKey(scope)): void {
    let batch = this.batches.get(sk);
    if (!batch) this.batches.set(sk, (batch = { scope, pending: new Set(), running: 0, scheduled: false }));
    batch.pending.add(familyId);
    if (!batch.scheduled && batch.running < LOADS_PER_SCOPE) {
      batch.scheduled = true;
      // The rest of this tick's announcements join the load.
      const scheduled = batch;
      setImmediate(() => {
        scheduled.scheduled = false;
        void this.runBatch(sk, scheduled);
      });
    }
  }

  private async runBatch(sk: string, batch: ScopeBatch): Promise<void> {
    batch.running++;
    try {
      while (batch.pending.size > 0 && !this.closed) {
        const ids = [...batch.pending];
        batch.pending.clear();
        let rows: R[];
        try {
          rows = await this.options.load(batch.scope, ids);
        } catch (error) {
          this.options.onError(error);
          continue; // those families wait for their next change (or the next reconnection)
        }
        for (const row of rows) this.deliverRow(sk, batch.scope.tenantId, row);
      }
    } finally {
      batch.running--;
      if (batch.running === 0 && !batch.scheduled && batch.pending.size === 0 && this.batches.get(sk) === batch) this.batches.delete(sk);
    }
  }

  private deliverRow(sk: string, tenantId: string, row: R): void {
    const watches = this.families.get(key(tenantId, row.id.toLowerCase()));
    if (!watches) return;
    for (const watch of watches) {
      if (watch.scopeKey !== sk || row.version <= watch.lastVersion) continue;
      watch.lastVersion = row.version;
      watch.deliver(row);
    }
  }
}
