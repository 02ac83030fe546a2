import { describe, expect, it } from "vitest";
import { LockWaitExhausted, retryDelayMs, retryOnLockTimeout, type LockRetryPolicy } from "./lock-retry";

const lockTimeout = () => Object.assign(new Error("canceling statement due to lock timeout"), { code: "55P03" });
const policy: LockRetryPolicy = { timeoutMs: 100, retries: 3, firstDelayMs: 1 };

function recorder() {
  const logged: string[] = [];
  return { logged, report: { what: "migration m", log: (_level: string, message: string) => logged.push(message), describeHolders: async () => "pid 7 holds AccessShareLock on events" } };
}

describe("retryOnLockTimeout", () => {
  it("retries lock timeouts, logging each, until the attempt succeeds", async () => {
    const { logged, report } = recorder();
    let calls = 0;
    const result = await retryOnLockTimeout(policy, report, async () => {
      calls++;
      if (calls < 3) throw lockTimeout();
      return "done";
    });
    expect([result, calls]).toEqual(["done", 3]);
    expect(logged).toEqual([
      "migration m timed out waiting for a lock (lock_timeout 100 ms, attempt 1 of 4); pid 7 holds AccessShareLock on events; retrying in 1 ms",
      "migration m timed out waiting for a lock (lock_timeout 100 ms, attempt 2 of 4); pid 7 holds AccessShareLock on events; retrying in 2 ms",
    ]);
  });

  it("gives up after 1 + retries timeouts, with the holders and the last error", async () => {
    const { logged, report } = recorder();
    let calls = 0;
    const error = await retryOnLockTimeout(policy, report, async () => {
      calls++;
      throw lockTimeout();
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockWaitExhausted);
    expect(error).toMatchObject({ attempts: 4, holders: "pid 7 holds AccessShareLock on events", lastError: { code: "55P03" } });
    expect([calls, logged.length]).toEqual([4, 3]);
  });

  it("does not retry any other failure", async () => {
    const { logged, report } = recorder();
    let calls = 0;
    const failure = Object.assign(new Error("syntax error"), { code: "42601" });
    const error = await retryOnLockTimeout(policy, report, async () => {
      calls++;
      throw failure;
    }).catch((e: unknown) => e);
    expect([error, calls, logged]).toEqual([failure, 1, []]);
  });

  it("doubles the pause before each retry, up to 30 s", () => {
    const slow: LockRetryPolicy = { timeoutMs: 5000, retries: 10, firstDelayMs: 1000 };
    expect([1, 2, 3, 4, 5, 6, 7].map((retry) => retryDelayMs(slow, retry))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });
});
