// HTTP routing on node:http: GraphQL through Apollo's executeHTTPGraphQLRequest (no framework in
// the request path), CORS for /graphql, the playground and its assets, health, readiness and
// metrics; every request gets a correlation id and one log line (request-log.ts).
import type { IncomingMessage, ServerResponse } from "node:http";
import { HeaderMap, type ApolloServer } from "@apollo/server";
import type { GatewayContext, Services } from "../context";
import { isPureIntrospection } from "../auth/introspection";
import { AuthenticationError, type TokenVerifier } from "../auth/token";
import type { Viewer } from "../auth/viewer";
import { ErrorCode, httpErrorBody } from "../errors/errors";
import type { Logger } from "../logger";
import { BodyTooLargeError, isJsonContentType, readBody } from "./body";
import { CorsPolicy } from "./cors";
import type { Readiness } from "./health";
import { PLAYGROUND_ASSET_PREFIX, PLAYGROUND_CSP, type Playground } from "./playground";
import { createRequestLogger, linkContext, requestFacts } from "./request-log";

export interface HttpHandlerOptions {
  apollo: ApolloServer<GatewayContext>;
  services: Services;
  verifier: TokenVerifier;
  playground: Playground;
  logger: Logger;
  bodyLimitBytes: number;
  /** CORS_ORIGINS, as @coop/config normalised them. */
  corsOrigins: readonly string[];
  /** Logs what it finds with the given logger (the request's). */
  readiness(logger: Logger): Promise<Readiness>;
  metricsText(): Promise<{ contentType: string; body: string }>;
  onErrorCode(code: ErrorCode): void;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}) {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) {
  send(res, status, "application/json; charset=utf-8", JSON.stringify(value), headers);
}

/** A browser asking for a page: GET with text/html preferred over JSON. */
function wantsHtml(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  if (req.method !== "GET" || !accept) return false;
  const html = accept.indexOf("text/html");
  if (html < 0) return false;
  const json = accept.search(/application\/(graphql-response\+)?json/);
  return json < 0 || html < json;
}

function headerMapOf(req: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  return headers;
}

const MAX_POSITION = 2n ** 63n - 1n;

/** The X-Consistent-With header: null when absent, false when it is not a position. */
function consistencyToken(value: string | string[] | undefined): string | null | false {
  if (value === undefined) return null;
  if (typeof value !== "string") return false;
  const text = value.trim();
  if (!/^\d{1,19}$/.test(text) || BigInt(text) > MAX_POSITION) return false;
  return BigInt(text).toString();
}

export function createHttpHandler(options: HttpHandlerOptions) {
  const { apollo, services, verifier, playground, logger } = options;
  const cors = new CorsPolicy(options.corsOrigins);
  const logRequest = createRequestLogger(logger);

  function badInput(req: IncomingMessage, res: ServerResponse, status: number, message: string, field: string) {
    options.onErrorCode(ErrorCode.BAD_USER_INPUT);
    requestFacts(req).errorCode = ErrorCode.BAD_USER_INPUT;
    send(res, status, "application/json; charset=utf-8", httpErrorBody(ErrorCode.BAD_USER_INPUT, message, { field }));
  }

  function unauthorized(req: IncomingMessage, res: ServerResponse, message: string) {
    options.onErrorCode(ErrorCode.UNAUTHENTICATED);
    requestFacts(req).errorCode = ErrorCode.UNAUTHENTICATED;
    send(res, 401, "application/json; charset=utf-8", httpErrorBody(ErrorCode.UNAUTHENTICATED, message), {
      "www-authenticate": 'Bearer realm="coop"',
    });
  }

  /**
   * Authentication comes before anything else (CONTRACT: UNAUTHENTICATED wins over every other
   * error): a bad token is refused before the body is read; without a token, only a request that
   * is pure introspection goes on, so that the playground can load the schema.
   */
  async function graphql(req: IncomingMessage, res: ServerResponse, search: string) {
    const correlationId = String(req.id);
    const facts = requestFacts(req);
    const authorization = req.headers.authorization;
    let viewer: Viewer | null = null;
    if (authorization !== undefined) {
      try {
        viewer = await verifier.verifyHeader(authorization);
      } catch (error) {
        if (!(error instanceof AuthenticationError)) throw error;
        req.resume();
        unauthorized(req, res, error.message);
        return;
      }
      facts.user = viewer.userId;
      facts.tenant = viewer.tenantId;
    }
    const anonymousRefused = "Authentication required: send Authorization: Bearer <token>";

    let body: unknown = undefined;
    if (req.method === "POST") {
      let text: string;
      try {
        text = await readBody(req, options.bodyLimitBytes);
      } catch (error) {
        if (error instanceof BodyTooLargeError) {
          if (!viewer) unauthorized(req, res, anonymousRefused);
          else badInput(req, res, 413, error.message, "body");
          return;
        }
        throw error;
      }
      if (isJsonContentType(req.headers["content-type"])) {
        try {
          body = text === "" ? {} : JSON.parse(text);
        } catch {
          if (!viewer) unauthorized(req, res, anonymousRefused);
          else badInput(req, res, 400, "The request body is not valid JSON", "body");
          return;
        }
      } else {
        body = text;
      }
    } else {
      req.resume();
    }

    const params = req.method === "GET" ? new URLSearchParams(search) : undefined;
    const request = (body !== null && typeof body === "object" && !Array.isArray(body) ? body : {}) as { query?: unknown; operationName?: unknown };
    const operationName = params ? params.get("operationName") : request.operationName;
    // As the client named it; the plugin of request-log replaces it once the operation resolves.
    if (typeof operationName === "string") facts.operationName = operationName;
    if (!viewer && !isPureIntrospection(params ? params.get("query") : request.query, operationName)) {
      unauthorized(req, res, anonymousRefused);
      return;
    }

    const consistentWith = consistencyToken(req.headers["x-consistent-with"]);
    if (consistentWith === false) {
      badInput(req, res, 400, "X-Consistent-With must be a position: a 64-bit integer, as a receipt's position", "X-Consistent-With");
      return;
    }

    const headers = headerMapOf(req);
    const contextValue: GatewayContext = { viewer, correlationId, services, consistentWith };
    linkContext(contextValue, req);
    const context = async () => contextValue;

    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? "GET", headers, search, body },
      context,
    });
    const status = response.status ?? 200;
    const outHeaders: Record<string, string> = {};
    for (const [name, value] of response.headers) outHeaders[name] = value;
    if (response.body.kind === "complete") {
      outHeaders["content-length"] = String(Buffer.byteLength(response.body.string));
      res.writeHead(status, outHeaders);
      res.end(response.body.string);
      return;
    }
    res.writeHead(status, outHeaders);
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }

  async function route(req: IncomingMessage, res: ServerResponse) {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const search = q < 0 ? "" : url.slice(q + 1);

    if (path === "/graphql" || path === "/graphql/") {
      cors.applyToResponse(req, res);
      if (req.method === "OPTIONS") {
        cors.answerPreflight(req, res);
        return;
      }
      if (wantsHtml(req)) {
        req.resume();
        send(res, 200, "text/html; charset=utf-8", playground.page, { "content-security-policy": PLAYGROUND_CSP, "cache-control": "no-store" });
        return;
      }
      await graphql(req, res, search);
      return;
    }
    req.resume();
    if (req.method !== "GET" && req.method !== "HEAD") {
      sendJson(res, 405, { error: "method not allowed" }, { allow: "GET" });
      return;
    }
    if (path.startsWith(PLAYGROUND_ASSET_PREFIX)) {
      const asset = playground.asset(path.slice(PLAYGROUND_ASSET_PREFIX.length));
      if (!asset) {
        sendJson(res, 404, { error: "not found" });
        return;
      }
      send(res, 200, asset.type, asset.body, { "cache-control": "public, max-age=3600" });
      return;
    }
    switch (path) {
      case "/healthz":
        sendJson(res, 200, { status: "ok" });
        return;
      case "/readyz": {
        const readiness = await options.readiness(req.log);
        sendJson(res, readiness.ready ? 200 : 503, { status: readiness.ready ? "ready" : "unavailable", checks: readiness.checks });
        return;
      }
      case "/metrics": {
        const metrics = await options.metricsText();
        send(res, 200, metrics.contentType, metrics.body);
        return;
      }
      case "/favicon.ico":
        res.writeHead(204, { "cache-control": "public, max-age=86400" });
        res.end();
        return;
      case "/":
        res.writeHead(302, { location: "/graphql" });
        res.end();
        return;
      default:
        sendJson(res, 404, { error: "not found" });
    }
  }

  return (req: IncomingMessage, res: ServerResponse) => {
    requestFacts(req);
    logRequest(req, res);
    route(req, res).catch((error: unknown) => {
      req.log.error({ err: error }, "unexpected error handling the request");
      if (!res.headersSent) {
        options.onErrorCode(ErrorCode.INTERNAL_SERVER_ERROR);
        send(res, 500, "application/json; charset=utf-8", httpErrorBody(ErrorCode.INTERNAL_SERVER_ERROR, "Internal server error"));
      } else {
        res.destroy();
      }
    });
  };
}
