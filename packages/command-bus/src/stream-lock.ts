/** More tasks wait for one key than the lock allows: the caller should refuse, not queue forever. */
export class LockQueueFullError extends Error {
  override readonly name = "LockQueueFullError";
}

/**
 * Runs tasks for one key one at a time, in arrival order, within this process; tasks for other
 * keys run freely. Commands on one stream then never race each other for the same version here.
 * At most `maxQueued` tasks wait behind a key: a stream that cannot keep up (a stuck database, a
 * client hammering one family) refuses new work instead of holding memory and sockets forever.
 */
export class KeyedLock {
  private readonly tails = new Map<string, { tail: Promise<unknown>; waiting: number }>();

  constructor(private readonly maxQueued = Number.POSITIVE_INFINITY) {}

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const entry = this.tails.get(key) ?? { tail: Promise.resolve(), waiting: 0 };
    if (entry.waiting >= this.maxQueued) return Promise.reject(new LockQueueFullError(`${entry.waiting} tasks are waiting for ${key}`));
    entry.waiting++;
    const result = entry.tail.then(
      () => {
        entry.waiting--;
        return task();
      },
      () => {
        entry.waiting--;
        return task();
      },
    );
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    entry.tail = tail;
    this.tails.set(key, entry);
    // Forget the key once nothing is queued behind this task, so the map does not grow forever.
    void tail.then(() => {
      if (entry.tail === tail) this.tails.delete(key);
    });
    return result;
  }

  get pending(): number {
    return this.tails.size;
  }
}
