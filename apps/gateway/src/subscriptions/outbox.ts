// One subscription's messages on their way to its socket: an async iterator that graphql-ws pulls
// from as fast as the socket takes them. Bounded, so that a client that reads slower than changes
// come cannot grow the gateway's memory (CONTRACT section 6 says delivery is at most once):
// - `latest` keeps only the newest message per key (familyChanged: a family's newest row supersedes
//   any older one not yet sent, so a slow reader skips versions but never goes back);
// - `queue` keeps up to `limit` messages in order (tenantActivity: each change is its own message);
//   one more and the outbox overflows: `onOverflow` runs (the connection is closed) and it ends.

export type OutboxMode = { kind: "latest" } | { kind: "queue"; limit: number };

export class Outbox<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private readonly keys: string[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | null = null;
  private ended = false;

  constructor(
    private readonly mode: OutboxMode,
    /** Runs once, when the subscription ends (the client completed it, the socket closed, overflow). */
    private readonly onEnd: () => void,
    private readonly onOverflow: () => void = () => undefined,
  ) {}

  get closed(): boolean {
    return this.ended;
  }

  /** Messages waiting for the socket. */
  get size(): number {
    return this.items.length;
  }

  push(item: T, key = ""): void {
    if (this.ended) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value: item, done: false });
      return;
    }
    if (this.mode.kind === "latest") {
      const at = this.keys.indexOf(key);
      if (at >= 0) {
        this.items[at] = item;
        return;
      }
    } else if (this.items.length >= this.mode.limit) {
      this.end();
      this.onOverflow();
      return;
    }
    this.items.push(item);
    this.keys.push(key);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) {
      this.keys.shift();
      return Promise.resolve({ value: this.items.shift()!, done: false });
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<T>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    this.end();
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Ends the stream: what is still queued is dropped, a pending `next` completes. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.items.length = 0;
    this.keys.length = 0;
    const resolve = this.waiting;
    this.waiting = null;
    resolve?.({ value: undefined, done: true });
    this.onEnd();
  }
}
