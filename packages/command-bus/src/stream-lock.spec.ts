import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { KeyedLock, LockQueueFullError } from "./stream-lock";

describe("KeyedLock", () => {
  it("runs tasks of one key one at a time in arrival order, other keys alongside", async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const task = (key: string, name: string, ms: number) =>
      lock.run(key, async () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        log.push(`start ${name}`);
        await sleep(ms);
        log.push(`end ${name}`);
        inFlight--;
        return name;
      });
    const results = await Promise.all([task("s", "1", 15), task("s", "2", 1), task("s", "3", 1), task("other", "x", 5)]);
    expect(results).toEqual(["1", "2", "3", "x"]);
    const sLog = log.filter((l) => !l.endsWith("x"));
    expect(sLog).toEqual(["start 1", "end 1", "start 2", "end 2", "start 3", "end 3"]);
    expect(maxInFlight).toBe(2); // the other key ran alongside
    await sleep(0);
    expect(lock.pending).toBe(0);
  });

  it("goes on after a task fails", async () => {
    const lock = new KeyedLock();
    await expect(lock.run("k", async () => { throw new Error("boom"); })).rejects.toThrow("boom");
    await expect(lock.run("k", async () => "next")).resolves.toBe("next");
  });

  it("refuses a task when the queue behind its key is full, and takes tasks again once it drains", async () => {
    const lock = new KeyedLock(2);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const running = lock.run("k", () => gate.then(() => "first"));
    await sleep(0); // the first task is running now, and no longer waiting
    const queued = [lock.run("k", async () => "second"), lock.run("k", async () => "third")];
    await expect(lock.run("k", async () => "fourth")).rejects.toBeInstanceOf(LockQueueFullError);
    await expect(lock.run("other", async () => "elsewhere")).resolves.toBe("elsewhere");
    release();
    await expect(Promise.all([running, ...queued])).resolves.toEqual(["first", "second", "third"]);
    await expect(lock.run("k", async () => "again")).resolves.toBe("again");
  });
});
