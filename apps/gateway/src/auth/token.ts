import { isStorableText } from "@coop/domain";
import { SignJWT, errors as joseErrors, jwtVerify } from "jose";
import { isRole, type Role, type Viewer } from "./viewer";

const ALGORITHM = "HS256";

/** A token that cannot be trusted; the message is safe to show the client. */
export class AuthenticationError extends Error {
  override readonly name = "AuthenticationError";
}

export interface TokenVerifierOptions {
  /** Seconds of leeway on exp/nbf/iat (default 5). */
  clockToleranceSeconds?: number;
  /** When set, a token must carry exactly this `iss` (JWT_ISSUER). */
  issuer?: string | null;
  /** When set, a token's `aud` must name this audience (JWT_AUDIENCE). */
  audience?: string | null;
  /** Verified tokens kept, keyed by the raw token (default 10,000). */
  cacheSize?: number;
  /** How long a verified token is trusted without verifying again, capped by its exp (default 60 s). */
  cacheTtlMs?: number;
  now?: () => number;
}

interface Cached {
  viewer: Viewer;
  until: number;
  /** When the token stops being accepted: exp plus the clock tolerance, in ms. */
  expiresAt: number;
}

/** A verified token's viewer and when the token stops being valid. */
export interface Session {
  viewer: Viewer;
  /** Epoch milliseconds: exp plus the clock tolerance (a WebSocket is closed then). */
  expiresAt: number;
}

/**
 * Verifies `Authorization: Bearer` tokens (CONTRACT sections 3 and 7): HS256 only; `exp` required
 * and honoured; an `iat` in the future beyond the clock tolerance refused; `iss` and `aud` checked
 * when configured; claims sub, tenant_id and roles checked. Verified tokens are cached briefly (bounded, oldest evicted first) so that a
 * client sending the same token does not pay for an HMAC and a claims check on every request.
 */
export class TokenVerifier {
  private readonly key: Uint8Array;
  private readonly cache = new Map<string, Cached>();
  private readonly clockTolerance: number;
  private readonly cacheSize: number;
  private readonly cacheTtlMs: number;
  private readonly now: () => number;
  private readonly issuer: string | undefined;
  private readonly audience: string | undefined;

  constructor(secret: string, options: TokenVerifierOptions = {}) {
    this.key = new TextEncoder().encode(secret);
    this.clockTolerance = options.clockToleranceSeconds ?? 5;
    this.issuer = options.issuer ?? undefined;
    this.audience = options.audience ?? undefined;
    this.cacheSize = options.cacheSize ?? 10_000;
    this.cacheTtlMs = options.cacheTtlMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** The viewer of an `Authorization` header value; throws AuthenticationError for anything else. */
  async verifyHeader(header: string | undefined): Promise<Viewer> {
    return (await this.verifyHeaderSession(header)).viewer;
  }

  /** As verifyHeader, with the token's expiry (a WebSocket's connection_init carries the same value). */
  async verifyHeaderSession(header: string | undefined): Promise<Session> {
    if (header === undefined || header === "") throw new AuthenticationError("Authentication required: send Authorization: Bearer <token>");
    const match = /^Bearer[ ]+([A-Za-z0-9_\-.]+)\s*$/i.exec(header);
    if (!match) throw new AuthenticationError("The Authorization header must be 'Bearer <token>'");
    return this.verifySession(match[1]!);
  }

  async verify(token: string): Promise<Viewer> {
    return (await this.verifySession(token)).viewer;
  }

  /** The viewer and the token's expiry: a long-lived connection (WebSocket) ends when its token does. */
  async verifySession(token: string): Promise<Session> {
    const now = this.now();
    const cached = this.cache.get(token);
    if (cached) {
      if (cached.until > now) return { viewer: cached.viewer, expiresAt: cached.expiresAt };
      this.cache.delete(token);
    }
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.key, {
        algorithms: [ALGORITHM],
        clockTolerance: this.clockTolerance,
        currentDate: new Date(now),
        requiredClaims: ["exp"],
        issuer: this.issuer,
        audience: this.audience,
      }));
    } catch (error) {
      throw new AuthenticationError(refusal(error));
    }
    // jose checks iat only together with maxTokenAge; a token "issued" later than now is forged or
    // made on a clock that is off, either way not to be trusted.
    if (typeof payload.iat === "number" && payload.iat * 1000 > now + this.clockTolerance * 1000) {
      throw new AuthenticationError("The token is issued in the future (iat)");
    }
    const viewer = viewerFromClaims(payload);
    const exp = (payload.exp as number) * 1000 + this.clockTolerance * 1000;
    this.remember(token, { viewer, until: Math.min(now + this.cacheTtlMs, exp), expiresAt: exp });
    return { viewer, expiresAt: exp };
  }

  private remember(token: string, entry: Cached) {
    if (this.cache.size >= this.cacheSize) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(token, entry);
  }
}

/** Why jose refused a token, in words safe to show the client. */
function refusal(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return "The token has expired";
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === "exp" && error.reason === "missing") return "The token must carry an expiry (exp)";
    if (error.claim === "iss") return "The token's issuer (iss) is not accepted";
    if (error.claim === "aud") return "The token's audience (aud) is not accepted";
  }
  return "The token is not valid";
}

/** sub (non-empty), tenant_id (non-empty string), roles (array; unknown roles ignored). */
// Claims become the tenant column of every row and the userId of every event's metadata: they must
// be text PostgreSQL can store and short enough for its indexes.
const SUBJECT_MAX = 200;
const TENANT_MAX = 100;

function claimText(value: unknown, max: number): value is string {
  return typeof value === "string" && value.trim() !== "" && value.length <= max && isStorableText(value);
}

export function viewerFromClaims(payload: Record<string, unknown>): Viewer {
  const { sub, tenant_id: tenantId, roles } = payload;
  if (!claimText(sub, SUBJECT_MAX)) throw new AuthenticationError(`The token's subject (sub) must be non-empty text of at most ${SUBJECT_MAX} characters`);
  if (!claimText(tenantId, TENANT_MAX)) throw new AuthenticationError(`The token's tenant (tenant_id) must be non-empty text of at most ${TENANT_MAX} characters`);
  if (!Array.isArray(roles)) throw new AuthenticationError("The token's roles claim must be an array");
  return { userId: sub, tenantId, roles: new Set(roles.filter(isRole)) };
}

export interface TokenClaims {
  sub: string;
  tenantId: string;
  roles: readonly Role[];
  /** jose's time span, e.g. "12h", "30m", "7d" (default 12h). */
  expiresIn?: string;
  /** `iss` and `aud`, for a gateway that checks them (JWT_ISSUER, JWT_AUDIENCE). */
  issuer?: string | null;
  audience?: string | null;
}

/** A signed HS256 token with the contract's claims. */
export async function signToken(secret: string, claims: TokenClaims): Promise<string> {
  const jwt = new SignJWT({ tenant_id: claims.tenantId, roles: [...claims.roles] })
    .setProtectedHeader({ alg: ALGORITHM, typ: "JWT" })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(claims.expiresIn ?? "12h");
  if (claims.issuer) jwt.setIssuer(claims.issuer);
  if (claims.audience) jwt.setAudience(claims.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}
