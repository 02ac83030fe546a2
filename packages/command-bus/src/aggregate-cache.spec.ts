import { describe, expect, it } from "vitest";
import { AggregateCache } from "./aggregate-cache";

describe("AggregateCache", () => {
  it("evicts the least recently used entry beyond its capacity", () => {
    const cache = new AggregateCache<string>(2);
    cache.set("a", { state: "A", version: 1 });
    cache.set("b", { state: "B", version: 1 });
    expect(cache.get("a")?.state).toBe("A"); // a is now the most recent
    cache.set("c", { state: "C", version: 1 });
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")?.state).toBe("A");
    expect(cache.get("c")?.state).toBe("C");
    expect(cache.size).toBe(2);
  });

  it("keeps nothing with capacity 0 and refuses a nonsense capacity", () => {
    const cache = new AggregateCache<string>(0);
    cache.set("a", { state: "A", version: 1 });
    expect(cache.get("a")).toBeUndefined();
    expect(() => new AggregateCache(-1)).toThrow(/capacity/);
  });
});
