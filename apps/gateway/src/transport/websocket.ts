// GraphQL subscriptions over WebSocket at /graphql (the graphql-ws protocol, CONTRACT section 6),
// on the gateway's own HTTP server. The token travels in connection_init's payload
// (`{ authorization: "Bearer <JWT>" }`) and is verified as over HTTP; a missing or bad one, and
// later its expiry, closes the socket with 4403. Each subscription is checked against the access
// table (FORBIDDEN) and the same document limits as HTTP. Only subscriptions are served here:
// queries and mutations go over HTTP, where the request log, metrics and X-Consistent-With are.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { createSourceEventStream, execute, getOperationAST, GraphQLError, parse, specifiedRules, validate, type DocumentNode, type ExecutionArgs, type ExecutionResult, type GraphQLSchema } from "graphql";
import { CloseCode } from "graphql-ws";
import { useServer, type Extra } from "graphql-ws/use/ws";
import { Counter, Gauge } from "prom-client";
import { WebSocketServer, type WebSocket } from "ws";
import type { GatewayContext, Services } from "../context";
import { deniedField, rootFields, type AccessTable } from "../auth/access";
import { AuthenticationError, type TokenVerifier } from "../auth/token";
import type { Viewer } from "../auth/viewer";
import { annotateInputFields, createFormatError, forbidden } from "../errors/errors";
import { queryLimitsRule } from "../graphql/limits";
import type { Logger } from "../logger";
import type { CorsPolicy } from "./cors";

/** graphql-ws's close code for a refused connection_init; the contract uses it for every token problem. */
export const TOKEN_REFUSED_CLOSE = CloseCode.Forbidden; // 4403

const MAX_TIMER_MS = 2 ** 31 - 1;

export interface SubscriptionServerOptions {
  server: Server;
  schema: GraphQLSchema;
  access: AccessTable;
  services: Services;
  verifier: TokenVerifier;
  logger: Logger;
  nodeEnv: string;
  /** Largest message accepted from a client (bytes). */
  maxPayloadBytes: number;
  /** CORS_ORIGINS: a browser's upgrade from another origin must come from one of them. */
  cors: CorsPolicy;
}

/** One connection's state, kept on graphql-ws's `extra` (one object per connection). */
interface ConnectionState extends Record<PropertyKey, unknown> {
  id: string;
  opened: number;
  viewer: Viewer;
  expiry: NodeJS.Timeout;
  subscriptions: number;
}
type Connection = Extra & Partial<ConnectionState>;

export interface SubscriptionServer {
  /** Closes every socket (1001 going away) and stops accepting new ones. */
  close(): Promise<void>;
}

/**
 * Browsers do not apply CORS to WebSocket: they send Origin and leave the decision to the server.
 * An upgrade is accepted without Origin (not a browser), from the gateway's own origin (the
 * playground) and from the origins CORS_ORIGINS lists, as HTTP answers them; any other page is refused.
 */
export function originMayConnect(req: IncomingMessage, cors: CorsPolicy): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (cors.allowOrigin(origin) !== null) return true;
  try {
    return new URL(origin).host === (req.headers.host ?? "").toLowerCase();
  } catch {
    return false; // "null" (a sandboxed page or a file) and anything that is not a URL
  }
}

/** connection_init's token: `authorization` in any letter case (GraphiQL sends its headers as they are typed). */
function authorizationOf(params: Readonly<Record<string, unknown>> | undefined): string | undefined {
  if (!params) return undefined;
  for (const [name, value] of Object.entries(params)) if (name.toLowerCase() === "authorization" && typeof value === "string") return value;
  return undefined;
}

/** graphql-js's subscribe, but each event runs with a context of its own (per-request loaders read fresh rows). */
async function subscribePerEvent(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const stream = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in stream)) {
    // Errors without a path come before any resolver ran: the variables did not fit (bad input, as over HTTP).
    for (const error of stream.errors ?? []) if (!error.path && error.extensions.code === undefined) (error.extensions as Record<string, unknown>).code = "BAD_USER_INPUT";
    return stream;
  }
  const events = stream[Symbol.asyncIterator]();
  const run = (payload: unknown) => execute({ ...args, rootValue: payload, contextValue: { ...(args.contextValue as GatewayContext) } }) as Promise<ExecutionResult> | ExecutionResult;
  // A plain iterator (not an async generator): return() must end a stream that is waiting for its
  // next event at once, and a generator would queue it behind that wait.
  const iterator: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      const event = await events.next();
      if (event.done) return { value: undefined, done: true };
      return { value: await run(event.value), done: false };
    },
    async return() {
      await events.return?.(undefined);
      return { value: undefined, done: true };
    },
    async throw(error: unknown) {
      await events.return?.(undefined);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

export function createSubscriptionServer(options: SubscriptionServerOptions): SubscriptionServer {
  const { schema, access, services, verifier, logger } = options;
  const production = options.nodeEnv === "production";
  const formatError = createFormatError({
    production,
    onInternalError(error, cause) {
      logger.error({ err: cause ?? error }, "unexpected error in a subscription");
    },
    onError(code) {
      services.metrics.errors.inc({ code });
    },
  });
  const format = (errors: readonly GraphQLError[]) => errors.map((error) => formatError(error.toJSON(), error));
  const validationRules = [...specifiedRules, queryLimitsRule()];

  const registry = services.metrics.registry;
  const connections = new Gauge({ name: "gateway_websocket_connections", help: "Open WebSocket connections (graphql-ws)", registers: [registry] });
  new Gauge({
    name: "gateway_subscriptions_open",
    help: "Subscriptions in place on this gateway, by field",
    labelNames: ["field"],
    registers: [registry],
    collect() {
      const counts = services.live.counts;
      this.set({ field: "familyChanged" }, counts.familyChanged);
      this.set({ field: "tenantActivity" }, counts.tenantActivity);
    },
  });
  const messages = new Counter({ name: "gateway_subscription_messages_total", help: "Subscription messages sent", registers: [registry] });
  const closes = new Counter({ name: "gateway_websocket_closes_total", help: "WebSocket connections closed by the gateway, by reason", labelNames: ["reason"], registers: [registry] });

  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes });
  let closing = false;

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    if (closing || (path !== "/graphql" && path !== "/graphql/")) {
      socket.end(`HTTP/1.1 ${closing ? "503 Service Unavailable" : "404 Not Found"}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    if (!originMayConnect(req, options.cors)) {
      closes.inc({ reason: "origin" });
      socket.end("HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
  };
  options.server.on("upgrade", onUpgrade);

  const closeSocket = (connection: Connection, code: number, reason: string, label: string) => {
    closes.inc({ reason: label });
    connection.socket.close(code, reason);
  };

  wss.on("connection", (socket: WebSocket) => {
    connections.inc();
    socket.once("close", () => connections.dec());
  });

  const disposable = useServer<Record<string, unknown> | undefined, ConnectionState>(
    {
      schema,
      connectionInitWaitTimeout: 10_000,
      subscribe: subscribePerEvent,
      async onConnect(ctx) {
        const connection = ctx.extra;
        connection.id = randomUUID();
        connection.opened = Date.now();
        connection.subscriptions = 0;
        let session;
        try {
          session = await verifier.verifyHeaderSession(authorizationOf(ctx.connectionParams));
        } catch (error) {
          if (!(error instanceof AuthenticationError)) throw error;
          closes.inc({ reason: "token_refused" });
          return false; // 4403 Forbidden
        }
        connection.viewer = session.viewer;
        const expire = () => {
          if (connection.socket.readyState !== connection.socket.OPEN) return; // closed meanwhile
          const left = session.expiresAt - Date.now();
          if (left > 0) connection.expiry = setTimeout(expire, Math.min(left, MAX_TIMER_MS)).unref();
          else closeSocket(connection, TOKEN_REFUSED_CLOSE, "Forbidden: the token has expired", "token_expired");
        };
        expire();
        return true;
      },
      onSubscribe(ctx, _id, payload) {
        const connection = ctx.extra;
        const viewer = connection.viewer!;
        let document: DocumentNode;
        try {
          document = parse(payload.query, { maxTokens: 5_000 });
        } catch (error) {
          if (!(error instanceof GraphQLError)) throw error;
          (error.extensions as Record<string, unknown>).code = "GRAPHQL_PARSE_FAILED";
          return [error];
        }
        const invalid = validate(schema, document, validationRules);
        if (invalid.length > 0) {
          for (const error of invalid) (error.extensions as Record<string, unknown>).code ??= "GRAPHQL_VALIDATION_FAILED";
          annotateInputFields(invalid, document);
          return invalid;
        }
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return [new GraphQLError("Could not tell which operation to run: name it in operationName", { extensions: { code: "OPERATION_RESOLUTION_FAILURE" } })];
        if (operation.operation !== "subscription") {
          return [new GraphQLError("Only subscriptions are served over WebSocket: send queries and mutations to POST /graphql", { extensions: { code: "BAD_REQUEST" } })];
        }
        const denied = deniedField(viewer, "subscription", rootFields(operation, document), access);
        if (denied !== null) return [forbidden(`Your roles (${[...viewer.roles].join(", ") || "none"}) do not allow Subscription.${denied}`)];
        connection.subscriptions = (connection.subscriptions ?? 0) + 1;
        const contextValue: GatewayContext = {
          viewer,
          correlationId: connection.id!,
          services,
          connection: { close: (code, reason) => closeSocket(connection, code, reason, code === 1013 ? "slow_consumer" : "other") },
        };
        return { schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue };
      },
      onNext(_ctx, _id, _payload, _args, result) {
        messages.inc();
        if (!result.errors) return;
        return { ...result, errors: format(result.errors) };
      },
      onError(_ctx, _id, _payload, errors) {
        return format(errors);
      },
      onClose(ctx, code) {
        const connection = ctx.extra;
        clearTimeout(connection.expiry);
        if (!connection.viewer) return;
        logger.info(
          { connection: connection.id, user: connection.viewer.userId, tenant: connection.viewer.tenantId, code, subscriptions: connection.subscriptions, durationMs: Date.now() - (connection.opened ?? Date.now()) },
          "websocket closed",
        );
      },
    },
    wss,
  );

  return {
    async close() {
      closing = true;
      options.server.off("upgrade", onUpgrade);
      // dispose() sends 1001 to every socket and waits until all are closed: those that do not
      // answer the close handshake within a second are cut.
      const cut = setTimeout(() => {
        for (const client of wss.clients) client.terminate();
      }, 1_000);
      try {
        await disposable.dispose();
      } catch (error) {
        logger.warn({ err: error }, "closing the WebSocket server failed");
      } finally {
        clearTimeout(cut);
      }
    },
  };
}
