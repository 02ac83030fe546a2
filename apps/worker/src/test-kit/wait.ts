import { setTimeout as sleep } from "node:timers/promises";

/**
 * Polls until `check` returns something truthy; on timeout, throws with `describe()`'s account of
 * the state (what the test was waiting for and what it saw instead). No timing assertions: the
 * timeouts are generous ceilings, not expectations.
 */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | false | null | undefined> | T | false | null | undefined,
  options: { timeoutMs?: number; intervalMs?: number; describe?: () => Promise<string> | string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let lastError: unknown;
  for (;;) {
    try {
      const result = await check();
      if (result) return result;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const state = options.describe ? await Promise.resolve(options.describe()).catch((e: unknown) => `(describe failed: ${String(e)})`) : "";
      throw new Error(
        `timed out after ${options.timeoutMs ?? 60_000} ms waiting for ${what}` +
          (lastError ? `\nlast error: ${(lastError as Error).message ?? String(lastError)}` : "") +
          (state ? `\n${state}` : ""),
      );
    }
    await sleep(options.intervalMs ?? 100);
  }
}
