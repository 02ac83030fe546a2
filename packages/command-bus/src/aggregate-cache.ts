/** A live aggregate: its state and the stream version that state is at. */
export interface LiveAggregate<S> {
  state: S;
  version: number;
}

/**
 * Least-recently-used cache of live aggregates ("living state"): a warm command skips loading.
 * A Map iterates in insertion order, so re-inserting on access keeps the oldest entry first.
 */
export class AggregateCache<S> {
  private readonly entries = new Map<string, LiveAggregate<S>>();

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new Error(`cache capacity must be a whole number, got ${capacity}`);
  }

  get(key: string): LiveAggregate<S> | undefined {
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  set(key: string, entry: LiveAggregate<S>): void {
    if (this.capacity === 0) return;
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
