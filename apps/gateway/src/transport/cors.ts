// CORS for /graphql (CONTRACT section 6, "Browsers"): answered before authentication, so that a
// browser's preflight, which never carries the token, is not refused as UNAUTHENTICATED.
import type { IncomingMessage, ServerResponse } from "node:http";

const ALLOWED_METHODS = "GET, POST, OPTIONS";

/**
 * What clients send: the token, JSON, our own headers, Apollo's CSRF-prevention headers and its
 * client awareness (Apollo Client, Apollo Kotlin and iOS).
 */
const ALLOWED_HEADERS = [
  "authorization",
  "content-type",
  "accept",
  "x-correlation-id",
  "x-consistent-with",
  "apollo-require-preflight",
  "x-apollo-operation-name",
  "x-apollo-operation-id",
  "apollographql-client-name",
  "apollographql-client-version",
].join(", ");

const EXPOSED_HEADERS = "x-correlation-id";

/** How long a browser may reuse a preflight answer (seconds; Chromium caps it at 7200). */
const MAX_AGE_SECONDS = "600";

/** The origins of CORS_ORIGINS (normalised by @coop/config), or `*` for any. */
export class CorsPolicy {
  private readonly anyOrigin: boolean;
  private readonly origins: ReadonlySet<string>;

  constructor(origins: readonly string[]) {
    this.anyOrigin = origins.includes("*");
    this.origins = new Set(origins);
  }

  /** `Access-Control-Allow-Origin` for a request's Origin, or null when that origin is not allowed. */
  allowOrigin(origin: string | undefined): string | null {
    if (!origin) return null;
    if (this.anyOrigin) return "*";
    return this.origins.has(origin.toLowerCase()) ? origin : null;
  }

  /** Sets the headers every /graphql response carries for an allowed origin (they survive writeHead). */
  applyToResponse(req: IncomingMessage, res: ServerResponse): void {
    // The answer depends on Origin whatever it is, so caches must keep one per origin.
    res.setHeader("vary", "Origin");
    const allowed = this.allowOrigin(req.headers.origin);
    if (allowed === null) return;
    res.setHeader("access-control-allow-origin", allowed);
    res.setHeader("access-control-expose-headers", EXPOSED_HEADERS);
  }

  /** Answers an OPTIONS request: 204, with the preflight's headers when the origin is allowed. */
  answerPreflight(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    const headers: Record<string, string> = { allow: ALLOWED_METHODS, "content-length": "0" };
    if (this.allowOrigin(req.headers.origin) !== null) {
      headers["access-control-allow-methods"] = ALLOWED_METHODS;
      headers["access-control-allow-headers"] = ALLOWED_HEADERS;
      headers["access-control-max-age"] = MAX_AGE_SECONDS;
    }
    res.writeHead(204, headers);
    res.end();
  }
}
