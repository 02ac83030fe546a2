// The gateway's one Redis subscription: the workers' announcements after their commits (how far
// each lane and the publisher got; which families' rows changed). Read-your-writes waits on the
// first, subscriptions push the second. Pub/sub loses what is sent while the connection is down:
// listeners hear `reconnected` and make up for it from the database.
import { Redis } from "ioredis";
import { projectionProgressChannel, streamChangesChannel } from "@coop/config";
import { decodeProgress, decodeStreamChanges, type Progress, type StreamChange } from "@coop/projection-state";

export interface ChangeFeedListener {
  progress?(progress: Progress): void;
  /** A commit of `projection` changed these streams' rows. */
  changes?(projection: string, changes: readonly StreamChange[]): void;
  /** The subscription is (again) in place: what was announced meanwhile is lost. */
  reconnected?(): void;
}

export class ChangeFeed {
  private readonly redis: Redis;
  private readonly listeners = new Set<ChangeFeedListener>();
  private readonly progressChannel: string;
  private readonly changeChannels: Map<string, string>;
  private subscribed = false;

  constructor(
    redisUrl: string,
    queuePrefix: string,
    /** The projections whose row changes are followed (those that announce them). */
    changesOf: readonly string[],
    onError: (error: Error) => void,
  ) {
    this.progressChannel = projectionProgressChannel(queuePrefix);
    this.changeChannels = new Map(changesOf.map((p) => [streamChangesChannel(queuePrefix, p), p]));
    this.redis = new Redis(redisUrl, {
      connectionName: "coop-gateway-feed",
      maxRetriesPerRequest: null,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
      lazyConnect: true,
    });
    this.redis.on("error", onError);
    this.redis.on("message", (channel: string, message: string) => this.dispatch(channel, message));
    // ioredis re-subscribes by itself after a reconnection; "ready" follows it.
    this.redis.on("ready", () => {
      if (!this.subscribed) return;
      for (const listener of this.listeners) listener.reconnected?.();
    });
  }

  /** Connects and subscribes, without waiting: a Redis that is down only delays the feed (it retries). */
  start(): void {
    this.redis.connect().catch(() => undefined);
    this.redis
      .subscribe(this.progressChannel, ...this.changeChannels.keys())
      .then(() => {
        this.subscribed = true;
        for (const listener of this.listeners) listener.reconnected?.();
      })
      .catch(() => undefined); // closed before it was in place
  }

  /** Whether announcements can arrive now. */
  get live(): boolean {
    return this.subscribed && this.redis.status === "ready";
  }

  listen(listener: ChangeFeedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    // QUIT would wait in the offline queue for a Redis that is away.
    if (this.redis.status !== "ready") this.redis.disconnect();
    else await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private dispatch(channel: string, message: string): void {
    if (channel === this.progressChannel) {
      const progress = decodeProgress(message);
      if (!progress) return;
      for (const listener of this.listeners) listener.progress?.(progress);
      return;
    }
    const projection = this.changeChannels.get(channel);
    if (!projection) return;
    const changes = decodeStreamChanges(message);
    if (changes.length === 0) return;
    for (const listener of this.listeners) listener.changes?.(projection, changes);
  }
}
