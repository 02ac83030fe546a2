import { describe, expect, it } from "vitest";
import { isPureIntrospection } from "./introspection";
import { AuthenticationError, signToken, TokenVerifier } from "./token";

const SECRET = "unit-test-secret-0123456789abcdef";

describe("TokenVerifier", () => {
  it("verifies, caches by raw token, and honours exp even for cached tokens", async () => {
    let now = Date.now();
    const verifier = new TokenVerifier(SECRET, { now: () => now, clockToleranceSeconds: 0, cacheTtlMs: 3_600_000 });
    const token = await signToken(SECRET, { sub: "u", tenantId: "t", roles: ["admin", "finance"], expiresIn: "30s" });
    const viewer = await verifier.verify(token);
    expect(viewer).toEqual({ userId: "u", tenantId: "t", roles: new Set(["admin", "finance"]) });
    expect(await verifier.verify(token)).toBe(viewer);
    now += 31_000;
    await expect(verifier.verify(token)).rejects.toBeInstanceOf(AuthenticationError);
  });

  it("keeps at most cacheSize tokens", async () => {
    const verifier = new TokenVerifier(SECRET, { cacheSize: 2 });
    const tokens = await Promise.all([1, 2, 3].map((i) => signToken(SECRET, { sub: `u${i}`, tenantId: "t", roles: ["admin"] })));
    for (const t of tokens) await verifier.verify(t);
    expect((verifier as unknown as { cache: Map<string, unknown> }).cache.size).toBe(2);
  });

  it("refuses claims PostgreSQL could not store or index: NUL, unpaired surrogates, overlong", async () => {
    const verifier = new TokenVerifier(SECRET);
    const bad: [string, string][] = [
      ["u\u0000", "t"],
      ["u", "t\u0000"],
      ["\ud800", "t"],
      ["u", "t\udc00x"],
      ["u".repeat(201), "t"],
      ["u", "t".repeat(101)],
      ["  ", "t"],
    ];
    for (const [sub, tenantId] of bad) {
      const token = await signToken(SECRET, { sub, tenantId, roles: ["admin"] });
      await expect(verifier.verify(token), JSON.stringify([sub.slice(0, 5), tenantId.slice(0, 5)])).rejects.toBeInstanceOf(AuthenticationError);
    }
    const fine = await signToken(SECRET, { sub: "u".repeat(200), tenantId: "t\u{1F600}".padEnd(100, "t"), roles: ["admin"] });
    await expect(verifier.verify(fine)).resolves.toMatchObject({ tenantId: "t\u{1F600}".padEnd(100, "t") });
  });

  it("parses the Authorization header strictly", async () => {
    const verifier = new TokenVerifier(SECRET);
    await expect(verifier.verifyHeader(undefined)).rejects.toThrow(/Authentication required/);
    await expect(verifier.verifyHeader("Token abc")).rejects.toThrow(/Bearer/);
    await expect(verifier.verifyHeader("Bearer a b")).rejects.toBeInstanceOf(AuthenticationError);
  });
});

describe("introspection", () => {
  it("recognises pure introspection", () => {
    expect(isPureIntrospection("{ __schema { types { name } } }", undefined)).toBe(true);
    expect(isPureIntrospection("query IntrospectionQuery { __schema { queryType { name } } } query Other { family(id: \"x\") { id } }", "IntrospectionQuery")).toBe(true);
    expect(isPureIntrospection("query A { __schema { queryType { name } } } query B { projections { name } }", "B")).toBe(false);
    expect(isPureIntrospection("{ __typename family(id: \"x\") { id } }", undefined)).toBe(false);
    expect(isPureIntrospection("mutation { __typename }", undefined)).toBe(false);
    expect(isPureIntrospection("{ __schema ", undefined)).toBe(false);
    expect(isPureIntrospection(42, undefined)).toBe(false);
  });
});
