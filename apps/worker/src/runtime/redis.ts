import { Redis } from "ioredis";

/**
 * A Redis connection as BullMQ needs it: commands wait through a reconnect instead of failing
 * (maxRetriesPerRequest: null), so a Redis restart delays work rather than losing it.
 */
export function createRedis(url: string, connectionName: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, connectionName, lazyConnect: false });
}

/** PING with a deadline: for readiness, where "waits forever" is the wrong answer. */
export async function pingRedis(redis: Redis, timeoutMs = 1_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms (status ${redis.status})`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Deletes every key under `${prefix}:` with SCAN + UNLINK (never FLUSHDB: other stacks share the
 * server). Returns how many keys were deleted.
 */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = "0";
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== "0");
  return deleted;
}

/**
 * Until Redis answers, logging every few seconds: with maxRetriesPerRequest null, commands would
 * otherwise wait silently through an outage at start-up.
 */
export async function waitForRedis(redis: Redis, log: (message: string) => void): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await pingRedis(redis, 2_000);
      return;
    } catch (error) {
      log(`Redis is not answering (attempt ${attempt}): ${(error as Error).message}; retrying`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}
