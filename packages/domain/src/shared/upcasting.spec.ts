import { describe, expect, it } from "vitest";
import { createUpcasterRegistry } from "./upcasting";

// A toy stream whose Renamed event went through three shapes: {n} -> {name} -> {name, by}.
type ToyEvent = { type: "Renamed"; data: { name: string; by: string | null } } | { type: "Closed"; data: Record<string, never> };

const registry = createUpcasterRegistry<ToyEvent>(
  { Renamed: 3, Closed: 1 },
  {
    Renamed: {
      1: (data) => ({ name: (data as { n: string }).n }),
      2: (data) => ({ ...(data as { name: string }), by: null }),
    },
  },
);

describe("createUpcasterRegistry", () => {
  it("chains the steps from the stored version to the current one, and reports the version reached", () => {
    expect(registry.upcast({ type: "Renamed", schemaVersion: 1, data: { n: "A" } })).toEqual({ type: "Renamed", data: { name: "A", by: null }, schemaVersion: 3 });
    expect(registry.upcast({ type: "Renamed", schemaVersion: 2, data: { name: "B" } })).toEqual({ type: "Renamed", data: { name: "B", by: null }, schemaVersion: 3 });
  });

  it("passes the current version through, same data object", () => {
    const data = { name: "C", by: "x" };
    const event = registry.upcast({ type: "Renamed", schemaVersion: 3, data });
    expect(event).toEqual({ type: "Renamed", data, schemaVersion: 3 });
    expect(event.data).toBe(data);
  });

  it("exposes the current versions", () => {
    expect(registry.currentVersions).toEqual({ Renamed: 3, Closed: 1 });
  });

  it("throws on an unknown type, a future version or a missing step", () => {
    expect(() => registry.upcast({ type: "Opened", schemaVersion: 1, data: {} })).toThrow(/unknown event type "Opened"/);
    expect(() => registry.upcast({ type: "toString", schemaVersion: 1, data: {} })).toThrow(/unknown event type/);
    expect(() => registry.upcast({ type: "Closed", schemaVersion: 2, data: {} })).toThrow(/newer than the supported version 1/);
    const gappy = createUpcasterRegistry<ToyEvent>({ Renamed: 3, Closed: 1 }, { Renamed: { 2: (d) => d } });
    expect(() => gappy.upcast({ type: "Renamed", schemaVersion: 1, data: {} })).toThrow(/from schema version 1 to 2: no upcaster/);
  });

  it("rejects a malformed registration up front", () => {
    expect(() => createUpcasterRegistry<ToyEvent>({ Renamed: 0, Closed: 1 })).toThrow(/positive integer/);
    expect(() => createUpcasterRegistry<ToyEvent>({ Renamed: 2, Closed: 1 }, { Renamed: { 2: (d) => d } })).toThrow(/outside 1\.\.1/);
    expect(() =>
      createUpcasterRegistry<ToyEvent>({ Renamed: 2, Closed: 1 }, { Opened: { 1: (d: unknown) => d } } as never),
    ).toThrow(/unknown event type "Opened"/);
  });
});
