import { describe, expect, it } from "vitest";
import { canonicalJson, payloadHash, streamIdFor } from "./payload-hash";

describe("payloadHash", () => {
  it("ignores key order and undefined fields but not values or the command type", () => {
    expect(payloadHash("A", { x: 1, y: { b: 2, a: [1, { d: 1, c: 2 }] } })).toBe(
      payloadHash("A", { y: { a: [1, { c: 2, d: 1 }], b: 2 }, x: 1, z: undefined }),
    );
    expect(payloadHash("A", { x: 1 })).not.toBe(payloadHash("A", { x: 2 }));
    expect(payloadHash("A", { x: 1 })).not.toBe(payloadHash("B", { x: 1 }));
    expect(payloadHash("A", { x: null })).not.toBe(payloadHash("A", {}));
    expect(canonicalJson({ b: [1, "2"], a: null })).toBe('{"a":null,"b":[1,"2"]}');
  });
});

describe("streamIdFor", () => {
  it("derives the same UUID from the same tenant and command id, another from others", () => {
    const id = streamIdFor("t1", "6f1c1f0e-2b1a-4c7e-9a53-3f0f1f2b9d10");
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(streamIdFor("t1", "6F1C1F0E-2B1A-4C7E-9A53-3F0F1F2B9D10")).toBe(id);
    expect(streamIdFor("t2", "6f1c1f0e-2b1a-4c7e-9a53-3f0f1f2b9d10")).not.toBe(id);
  });
});
