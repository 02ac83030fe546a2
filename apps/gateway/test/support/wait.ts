import { setTimeout as sleep } from "node:timers/promises";

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  what?: string;
}

/**
 * Polls `check` until it returns true (or a value other than false/undefined/null), then returns
 * that value. Errors thrown by `check` fail at once. Never a fixed sleep: reads become visible
 * as soon as the worker has projected them.
 */
export async function waitUntil<T>(check: () => T | Promise<T>, options: WaitOptions = {}): Promise<Exclude<T, false | null | undefined>> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let interval = options.intervalMs ?? 10;
  for (;;) {
    const value = await check();
    if (value !== false && value !== null && value !== undefined) return value as Exclude<T, false | null | undefined>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${options.what ?? "a condition"}`);
    await sleep(interval);
    interval = Math.min(interval * 2, 100);
  }
}
