import { describe, expect, it } from "vitest";
import { Outbox } from "./outbox";

describe("Outbox", () => {
  it("hands messages over in order, to a waiting reader at once", async () => {
    let ended = 0;
    const outbox = new Outbox<number>({ kind: "queue", limit: 10 }, () => ended++);
    const pending = outbox.next();
    outbox.push(1);
    outbox.push(2);
    outbox.push(3);
    expect(await pending).toEqual({ value: 1, done: false });
    expect(await outbox.next()).toEqual({ value: 2, done: false });
    expect(await outbox.next()).toEqual({ value: 3, done: false });
    expect(ended).toBe(0);
  });

  it("latest: a newer message replaces the unsent one of the same key", async () => {
    const outbox = new Outbox<{ version: number }>({ kind: "latest" }, () => undefined);
    outbox.push({ version: 1 }, "f");
    outbox.push({ version: 2 }, "f");
    outbox.push({ version: 3 }, "f");
    expect(outbox.size).toBe(1);
    expect(await outbox.next()).toEqual({ value: { version: 3 }, done: false });
  });

  it("queue: one message past the limit ends the stream and reports the overflow", async () => {
    let overflowed = 0;
    let ended = 0;
    const outbox = new Outbox<number>({ kind: "queue", limit: 2 }, () => ended++, () => overflowed++);
    outbox.push(1);
    outbox.push(2);
    outbox.push(3);
    expect(overflowed).toBe(1);
    expect(ended).toBe(1);
    expect(outbox.closed).toBe(true);
    expect(await outbox.next()).toEqual({ value: undefined, done: true });
  });

  it("return() ends a reader that is waiting, once", async () => {
    let ended = 0;
    const outbox = new Outbox<number>({ kind: "latest" }, () => ended++);
    const pending = outbox.next();
    await outbox.return();
    await outbox.return();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(ended).toBe(1);
    outbox.push(1);
    expect(outbox.size).toBe(0);
  });
});
