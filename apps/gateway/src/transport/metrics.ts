import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The gateway's Prometheus metrics, in a registry of its own (several gateways may share a process in tests). */
export interface GatewayMetrics {
  registry: Registry;
  /** GraphQL requests: `operation` is the root field(s) of the operation (bounded), `outcome` ok or the first error code. */
  requestDuration: Histogram<"operation" | "outcome">;
  /** Commands dispatched: `command` is the command type, `outcome` ok, repeated or the error code. */
  commandDuration: Histogram<"command" | "outcome">;
  /** Every error a client was sent, by contract code. */
  errors: Counter<"code">;
  /** Reads that waited for the read models (read your writes): `outcome` immediate, waited or timeout. */
  consistencyWait: Histogram<"outcome">;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function createMetrics(): GatewayMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: "gateway" });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    requestDuration: new Histogram({
      name: "gateway_graphql_request_duration_seconds",
      help: "GraphQL request duration by operation (root fields) and outcome",
      labelNames: ["operation", "outcome"],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    commandDuration: new Histogram({
      name: "gateway_command_duration_seconds",
      help: "Command dispatch duration by command type and outcome",
      labelNames: ["command", "outcome"],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    consistencyWait: new Histogram({
      name: "gateway_consistency_wait_seconds",
      help: "How long reads waited for the read models to include a position (X-Consistent-With, CommandReceipt.family)",
      labelNames: ["outcome"],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    errors: new Counter({
      name: "gateway_errors_total",
      help: "Errors sent to clients, by extensions.code",
      labelNames: ["code"],
      registers: [registry],
    }),
  };
}
