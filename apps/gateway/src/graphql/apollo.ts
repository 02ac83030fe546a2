import { performance } from "node:perf_hooks";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from "@apollo/server/plugin/disabled";
import { GraphQLError, type GraphQLSchema } from "graphql";
import type { GatewayContext } from "../context";
import { deniedField, isIntrospectionField, rootFields, ROOT_TYPES, type AccessTable } from "../auth/access";
import { annotateInputFields, createFormatError, ErrorCode, forbidden, unauthenticated } from "../errors/errors";
import type { Logger } from "../logger";
import type { GatewayMetrics } from "../transport/metrics";
import { queryLimitsRule } from "./limits";

const CONTRACT_CODES = new Set<string>(Object.values(ErrorCode));

function isExpected(error: GraphQLError): boolean {
  const code = error.extensions.code;
  return typeof code === "string" && code !== ErrorCode.INTERNAL_SERVER_ERROR && (CONTRACT_CODES.has(code) || code.startsWith("GRAPHQL_") || code === "BAD_REQUEST" || code.startsWith("PERSISTED_QUERY") || code === "OPERATION_RESOLUTION_FAILURE");
}

/** Root fields of the operation as a bounded metric label, e.g. "recordPayment" or "family,searchFamilies". */
function operationLabel(fields: readonly string[]): string {
  if (fields.length === 0) return "none";
  if (fields.every(isIntrospectionField)) return "introspection";
  const names = [...new Set(fields.filter((f) => !isIntrospectionField(f)))].sort();
  return names.length > 3 ? `${names.slice(0, 3).join(",")},+${names.length - 3}` : names.join(",");
}

/**
 * Per request: once the operation is known (after parse and validation, before variables are
 * coerced) check the viewer's roles for every root field, so FORBIDDEN wins over BAD_USER_INPUT;
 * name the input field of document errors; time the request by operation and outcome.
 */
function gatewayPlugin(access: AccessTable, metrics: GatewayMetrics, logger: Logger, logged: WeakSet<object>): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      let label = "unresolved";
      return {
        async didResolveOperation(rc) {
          const operation = rc.operation;
          if (!operation) return;
          const fields = rootFields(operation, rc.document);
          label = operationLabel(fields);
          const viewer = rc.contextValue.viewer;
          const denied = deniedField(viewer, operation.operation, fields, access);
          if (denied === null) return;
          if (!viewer) throw unauthenticated("Authentication required: send Authorization: Bearer <token>");
          throw forbidden(`Your roles (${[...viewer.roles].join(", ") || "none"}) do not allow ${ROOT_TYPES[operation.operation]}.${denied}`);
        },
        async didEncounterErrors(rc) {
          annotateInputFields(rc.errors, rc.document);
          for (const error of rc.errors) {
            if (isExpected(error)) continue;
            logged.add(error);
            logger.error(
              { err: error.originalError ?? error, correlationId: rc.contextValue.correlationId, operation: label, path: error.path },
              "unexpected error in a GraphQL request",
            );
          }
        },
        async willSendResponse(rc) {
          const body = rc.response.body;
          const errors = body.kind === "single" ? body.singleResult.errors : body.initialResult.errors;
          const code = errors?.[0]?.extensions?.code;
          const outcome = errors && errors.length > 0 ? (typeof code === "string" ? code : ErrorCode.INTERNAL_SERVER_ERROR) : "ok";
          metrics.requestDuration.observe({ operation: label, outcome }, (performance.now() - started) / 1000);
        },
      };
    },
  };
}

export interface ApolloOptions {
  schema: GraphQLSchema;
  /** The roles of every root field (from the modules). */
  access: AccessTable;
  nodeEnv: string;
  logger: Logger;
  metrics: GatewayMetrics;
}

export function createApollo({ schema, access, nodeEnv, logger, metrics }: ApolloOptions): ApolloServer<GatewayContext> {
  const production = nodeEnv === "production";
  const logged = new WeakSet<object>();
  return new ApolloServer<GatewayContext>({
    schema,
    nodeEnv,
    // The schema is public (schema.graphql is committed) and the playground needs it.
    introspection: true,
    includeStacktraceInErrorResponses: nodeEnv === "development",
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    persistedQueries: false,
    stopOnTerminationSignals: false,
    hideSchemaDetailsFromClientErrors: production,
    parseOptions: { maxTokens: 5_000 },
    validationRules: [queryLimitsRule()],
    formatError: createFormatError({
      production,
      onInternalError(error, cause) {
        if (typeof error === "object" && error !== null && logged.has(error)) return;
        logger.error({ err: cause ?? error }, "unexpected error");
      },
      onError(code) {
        metrics.errors.inc({ code });
      },
    }),
    logger: {
      debug: (message) => logger.debug(message),
      info: (message) => logger.info(message),
      warn: (message) => logger.warn(message),
      error: (message) => logger.error(message),
    },
    plugins: [
      gatewayPlugin(access, metrics, logger, logged),
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
    ],
  });
}
