// The security rules of CONTRACT section 7 on tokens: exp required, no iat in the future beyond
// 5 s of skew, iss and aud checked when configured.
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { AuthenticationError, signToken, TokenVerifier } from "./token";

const SECRET = "token-rules-secret-0123456789abcdef";
const key = new TextEncoder().encode(SECRET);
const claims = { sub: "u", tenant_id: "t", roles: ["admin"] };
const seconds = (ms: number) => Math.floor(ms / 1000);

async function refusal(verifier: TokenVerifier, token: string): Promise<string> {
  const error = await verifier.verify(token).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthenticationError);
  return (error as Error).message;
}

describe("a token must carry exp", () => {
  it("is refused without exp, accepted with it", async () => {
    const verifier = new TokenVerifier(SECRET);
    const noExp = await new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setIssuedAt().sign(key);
    expect(await refusal(verifier, noExp)).toBe("The token must carry an expiry (exp)");
    const withExp = await new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1m").sign(key);
    await expect(verifier.verify(withExp)).resolves.toMatchObject({ userId: "u", tenantId: "t" });
  });
});

describe("iat in the future", () => {
  it("is refused beyond 5 s of skew, tolerated within it", async () => {
    const now = Date.now();
    const verifier = new TokenVerifier(SECRET, { now: () => now });
    const issuedAt = (at: number) => new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setIssuedAt(seconds(at)).setExpirationTime(seconds(now) + 3600).sign(key);
    expect(await refusal(verifier, await issuedAt(now + 60_000))).toBe("The token is issued in the future (iat)");
    expect(await refusal(verifier, await issuedAt(now + 7_000))).toBe("The token is issued in the future (iat)");
    await expect(verifier.verify(await issuedAt(now + 4_000))).resolves.toMatchObject({ userId: "u" });
    await expect(verifier.verify(await issuedAt(now - 60_000))).resolves.toMatchObject({ userId: "u" });
  });

  it("a token without iat is still accepted (the contract asks for exp only)", async () => {
    const token = await new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1m").sign(key);
    await expect(new TokenVerifier(SECRET).verify(token)).resolves.toMatchObject({ userId: "u" });
  });
});

describe("JWT_ISSUER and JWT_AUDIENCE", () => {
  const verifier = new TokenVerifier(SECRET, { issuer: "https://issuer.example", audience: "coop-api" });

  it("accepts a token with both, as signToken makes it", async () => {
    const token = await signToken(SECRET, { sub: "u", tenantId: "t", roles: ["admin"], issuer: "https://issuer.example", audience: "coop-api" });
    await expect(verifier.verify(token)).resolves.toMatchObject({ userId: "u", tenantId: "t" });
  });

  it("refuses a missing or other issuer, a missing or other audience", async () => {
    const sign = (iss: string | null, aud: string | string[] | null) => {
      const jwt = new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1m");
      if (iss) jwt.setIssuer(iss);
      if (aud) jwt.setAudience(aud);
      return jwt.sign(key);
    };
    expect(await refusal(verifier, await sign(null, "coop-api"))).toBe("The token's issuer (iss) is not accepted");
    expect(await refusal(verifier, await sign("https://evil.example", "coop-api"))).toBe("The token's issuer (iss) is not accepted");
    expect(await refusal(verifier, await sign("https://issuer.example", null))).toBe("The token's audience (aud) is not accepted");
    expect(await refusal(verifier, await sign("https://issuer.example", "another-api"))).toBe("The token's audience (aud) is not accepted");
    // An audience list that names ours is fine (RFC 7519 section 4.1.3).
    await expect(verifier.verify(await sign("https://issuer.example", ["another-api", "coop-api"]))).resolves.toMatchObject({ userId: "u" });
  });

  it("are not required when not configured", async () => {
    const token = await signToken(SECRET, { sub: "u", tenantId: "t", roles: ["admin"], issuer: "whoever", audience: "whatever" });
    await expect(new TokenVerifier(SECRET).verify(token)).resolves.toMatchObject({ userId: "u" });
  });
});
