import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { isSealed, openValue, sealedKind, sealValue } from "./field-cipher";
import { KeyWrapper } from "./key-wrapper";

const key = randomBytes(32);
const aad = Buffer.from("tenant-a/family-1");

describe("sealed personal values", () => {
  it("round-trips text and any JSON value, and says which kind it held", () => {
    for (const value of ["Rivera", "😀 émile", { late: [1, 2], note: "x" }, 0, false, ["a"]]) {
      const sealed = sealValue(key, aad, value);
      expect(isSealed(sealed)).toBe(true);
      expect(sealedKind(sealed)).toBe(typeof value === "string" ? "s" : "j");
      expect(openValue(key, aad, sealed)).toEqual(value);
    }
  });

  it("never shows the value, and uses a new nonce for every value", () => {
    const a = sealValue(key, aad, "Rivera");
    const b = sealValue(key, aad, "Rivera");
    expect(a).not.toBe(b);
    expect(a).not.toContain("Rivera");
    expect(Buffer.from(a.slice(6), "base64").includes(Buffer.from("Rivera"))).toBe(false);
    expect(Buffer.from(a.slice(6), "base64").subarray(0, 12).equals(Buffer.from(b.slice(6), "base64").subarray(0, 12))).toBe(false);
  });

  it("refuses another key, another stream, or an altered value", () => {
    const sealed = sealValue(key, aad, "Rivera");
    expect(() => openValue(randomBytes(32), aad, sealed)).toThrow();
    expect(() => openValue(key, Buffer.from("tenant-a/family-2"), sealed)).toThrow();
    const bytes = Buffer.from(sealed.slice(6), "base64");
    bytes[14] = bytes[14]! ^ 1;
    expect(() => openValue(key, aad, `${sealed.slice(0, 6)}${bytes.toString("base64")}`)).toThrow();
  });

  it("tells sealed values from plaintext", () => {
    for (const plain of ["Rivera", "pii1:", "pii1:x", "", null, 3, { a: 1 }]) expect(isSealed(plain)).toBe(false);
  });
});

describe("KeyWrapper", () => {
  const secret = "a-secret-of-sixteen-or-more";
  it("wraps a data key for one stream under the current secret's key id, and unwraps it", () => {
    const wrapper = new KeyWrapper({ current: secret });
    const dataKey = wrapper.newDataKey();
    const { keyId, wrapped } = wrapper.wrap(dataKey, aad);
    expect(keyId).toBe(wrapper.currentKeyId);
    expect(keyId).toMatch(/^[0-9a-f]{12}$/);
    expect(wrapped.includes(dataKey)).toBe(false);
    expect(wrapper.unwrap(keyId, wrapped, aad).equals(dataKey)).toBe(true);
    expect(() => wrapper.unwrap(keyId, wrapped, Buffer.from("tenant-a/family-2"))).toThrow(/does not unwrap/);
  });

  it("a rotated secret: keys of the previous one unwrap while it is configured, and are told apart by key id", () => {
    const old = new KeyWrapper({ current: secret });
    const { keyId, wrapped } = old.wrap(old.newDataKey(), aad);
    const rotated = new KeyWrapper({ current: "another-secret-0123456789", previous: [secret] });
    expect(rotated.currentKeyId).not.toBe(keyId);
    expect(rotated.knows(keyId)).toBe(true);
    expect(rotated.unwrap(keyId, wrapped, aad)).toHaveLength(32);
    expect(() => new KeyWrapper({ current: "another-secret-0123456789" }).unwrap(keyId, wrapped, aad)).toThrow(/no configured DATA_KEY_SECRET/);
    expect(() => new KeyWrapper({ current: "short" })).toThrow(/at least 16/);
  });
});
