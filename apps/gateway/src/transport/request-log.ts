// One log line per HTTP request (pino-http), with what an operator needs and nothing a client
// sent as content: no headers (the token), no query string (`?token=`, GET variables), no body
// (variables carry names and emails). Health, readiness and metrics answer at debug level.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import type { ApolloServerPlugin, GraphQLRequestListener } from "@apollo/server";
import { pinoHttp } from "pino-http";
import type { GatewayContext } from "../context";
import type { Logger } from "../logger";

/** What the log line of one request says beyond method, path, status and duration. */
export interface RequestFacts {
  path: string;
  started: number;
  user?: string;
  tenant?: string;
  operationName?: string | null;
  operationType?: string;
  /** The first error's `extensions.code`: GraphQL errors mostly travel with HTTP 200. */
  errorCode?: string;
}

const facts = new WeakMap<IncomingMessage, RequestFacts>();
/**
 * The facts of the request a GraphQL context belongs to, for the Apollo plugin below. A property,
 * not a WeakMap entry: Apollo hands plugins a shallow copy of the context, which keeps it.
 */
const FACTS = Symbol("requestFacts");
type LinkedContext = GatewayContext & { [FACTS]?: RequestFacts };

const QUIET_PATHS = new Set(["/healthz", "/readyz", "/metrics"]);
const SANE_CORRELATION_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** The client's `x-correlation-id` when it looks like an id, else a new one. */
export function correlationIdOf(req: IncomingMessage): string {
  const given = req.headers["x-correlation-id"];
  return typeof given === "string" && SANE_CORRELATION_ID.test(given) ? given : randomUUID();
}

function pathOf(url: string | undefined): string {
  const raw = url ?? "/";
  const q = raw.indexOf("?");
  return q < 0 ? raw : raw.slice(0, q);
}

/** The facts being gathered for a request (created on first use, as the request arrives). */
export function requestFacts(req: IncomingMessage): RequestFacts {
  let found = facts.get(req);
  if (!found) {
    found = { path: pathOf(req.url), started: performance.now() };
    facts.set(req, found);
  }
  return found;
}

/** Ties a GraphQL context to its request, so that the operation's name and type reach the log line. */
export function linkContext(context: GatewayContext, req: IncomingMessage): void {
  (context as LinkedContext)[FACTS] = requestFacts(req);
}

function lineOf(req: IncomingMessage, res: ServerResponse) {
  const f = requestFacts(req);
  return {
    method: req.method,
    path: f.path,
    status: res.statusCode,
    durationMs: Math.round((performance.now() - f.started) * 10) / 10,
    operationName: f.operationName ?? undefined,
    operationType: f.operationType,
    errorCode: f.errorCode,
    user: f.user,
    tenant: f.tenant,
  };
}

/**
 * Starts a request's logging: the correlation id (the client's, when sane) goes on the response
 * header and, as `correlationId`, on `req.log` and the request's line.
 */
export function createRequestLogger(logger: Logger): (req: IncomingMessage, res: ServerResponse) => void {
  return pinoHttp({
    logger,
    genReqId(req, res) {
      const id = correlationIdOf(req);
      res.setHeader("x-correlation-id", id);
      return id;
    },
    customAttributeKeys: { reqId: "correlationId" },
    // Only `correlationId` is bound to req.log; the line's other fields come from lineOf.
    quietReqLogger: true,
    quietResLogger: true,
    wrapSerializers: false,
    serializers: { req: (req: IncomingMessage) => ({ method: req.method, path: requestFacts(req).path }) },
    customLogLevel(req, res, error) {
      if (QUIET_PATHS.has(requestFacts(req).path)) return "debug";
      return error || res.statusCode >= 500 ? "error" : "info";
    },
    customSuccessObject: (req, res) => lineOf(req, res),
    customErrorObject: (req, res) => lineOf(req, res),
    customSuccessMessage: (req, res) => (res.writableEnded ? "request completed" : "request aborted"),
    customErrorMessage: () => "request failed",
  });
}

const LISTENER: GraphQLRequestListener<GatewayContext> = {
  async didResolveOperation(rc) {
    const f = (rc.contextValue as LinkedContext)[FACTS];
    if (!f) return;
    f.operationName = rc.operationName;
    f.operationType = rc.operation?.operation;
  },
  async willSendResponse(rc) {
    const f = (rc.contextValue as LinkedContext)[FACTS];
    const body = rc.response.body;
    const errors = body.kind === "single" ? body.singleResult.errors : body.initialResult.errors;
    const code = errors?.[0]?.extensions?.code;
    if (f && errors && errors.length > 0) f.errorCode = typeof code === "string" ? code : "INTERNAL_SERVER_ERROR";
  },
};

/** Records each request's operation name and type (query, mutation) and first error code for its log line. */
export function operationLogPlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return LISTENER;
    },
  };
}
