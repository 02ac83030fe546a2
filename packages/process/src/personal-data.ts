// Personal data in a process (gateway, worker, CLI): the event store seals and opens personal
// fields with the families' keys (wrapped by DATA_KEY_SECRET), and every process drops a family's
// key as soon as any process forgets the family, through Redis; the keys' short cache life is the
// net under a lost message.
import type { Redis } from "ioredis";
import type pg from "pg";
import { keysForgottenChannel, type Config } from "@coop/config";
import { createPersonalDataCodec, EventStore, type DataKeyStore, type StreamKeyRef } from "@coop/event-store";

export interface PersonalDataStoreOptions {
  /** Called when this process forgets a family (it appended FamilyForgotten): tell the others. */
  onForgotten?: (stream: StreamKeyRef) => void;
}

/** The event store of a process, with the codec built from its configuration. */
export function personalDataEventStore(pool: pg.Pool, config: Pick<Config, "dataKeySecret" | "dataKeyPreviousSecrets" | "dataKeyCacheMs">, options: PersonalDataStoreOptions = {}): EventStore {
  const codec = createPersonalDataCodec(
    pool,
    { current: config.dataKeySecret, previous: config.dataKeyPreviousSecrets },
    { cacheMs: config.dataKeyCacheMs, onForgotten: options.onForgotten },
  );
  return new EventStore(pool, { codec });
}

/** What travels on the channel: the stream, never anything personal. */
export function forgottenKeyMessage(stream: StreamKeyRef): string {
  return JSON.stringify([stream.tenantId, stream.streamId]);
}

/** Publishes that this process forgot a family; a lost message is covered by the keys' cache life. */
export function announceForgottenKey(redis: Redis, queuePrefix: string, stream: StreamKeyRef, onError: (error: unknown) => void): void {
  redis.publish(keysForgottenChannel(queuePrefix), forgottenKeyMessage(stream)).catch(onError);
}

/**
 * Subscribes `subscriber` (a connection of its own) to forgotten keys and drops each from `keys`.
 * After a reconnect every cached key is dropped: messages sent meanwhile were lost.
 */
export async function followForgottenKeys(subscriber: Redis, queuePrefix: string, keys: DataKeyStore): Promise<void> {
  const channel = keysForgottenChannel(queuePrefix);
  let connectedBefore = false;
  subscriber.on("ready", () => {
    if (connectedBefore) keys.clear();
    connectedBefore = true;
  });
  if (subscriber.status === "ready") connectedBefore = true;
  subscriber.on("message", (from: string, message: string) => {
    if (from !== channel) return;
    try {
      const [tenantId, streamId] = JSON.parse(message) as [unknown, unknown];
      if (typeof tenantId === "string" && typeof streamId === "string") keys.drop(tenantId, streamId);
    } catch {
      keys.clear(); // not ours to read: forget everything rather than keep a key too long
    }
  });
  await subscriber.subscribe(channel);
}
