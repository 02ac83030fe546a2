import type pg from "pg";
import { describe, expect, it } from "vitest";
import { DataKeyStore } from "./data-key-store";
import { KeyWrapper } from "./key-wrapper";

// Caching alone: no statement runs, so no pool is needed.
const noPool = {} as pg.Pool;

describe("the key cache", () => {
  it("holds at most maxKeys, dropping the oldest first, and keeps the newest", () => {
    const keys = new DataKeyStore(noPool, new KeyWrapper({ current: "a secret of sixteen+" }), { maxKeys: 16 });
    const streams = Array.from({ length: 40 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
    for (const id of streams) keys.newKey("tenant-a", id).keep();
    expect(keys.size).toBeLessThanOrEqual(16);
    expect(keys.size).toBeGreaterThanOrEqual(14); // an eighth at most goes at once
    expect(keys.cached("tenant-a", streams[39]!)).toBeDefined();
    expect(keys.cached("tenant-a", streams[0]!)).toBeUndefined();
    const kept = streams.filter((id) => keys.cached("tenant-a", id) !== undefined);
    expect(kept).toEqual(streams.slice(40 - kept.length)); // the newest ones, none older
  });

});
