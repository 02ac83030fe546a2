// Process entry: configuration, the gateway, graceful shutdown on SIGTERM/SIGINT.
import { ConfigError, loadConfig } from "@coop/config";
import { installFaultNets } from "@coop/process";
import { signToken } from "./auth/token";
import { createLogger } from "./logger";
import { createGateway } from "./server";

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`gateway: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  // A database or Redis that goes away mid-request must not end the process.
  installFaultNets(logger);
  const gateway = await createGateway(config, { logger });
  const base = `http://localhost:${gateway.port}`;
  logger.info({ port: gateway.port, nodeEnv: config.nodeEnv, corsOrigins: config.corsOrigins }, `gateway listening: GraphQL at ${base}/graphql`);
  if (config.jwtSecretIsDefault) {
    logger.warn(`JWT_SECRET is not set: using the development secret (allowed under NODE_ENV=${config.nodeEnv} only).`);
  }
  if (config.dataKeySecretIsDefault) {
    logger.warn(`DATA_KEY_SECRET is not set: using the development secret (allowed under NODE_ENV=${config.nodeEnv} only).`);
  }
  // A ready-made token in the log is a convenience for a developer's machine, nowhere else.
  if (config.nodeEnv === "development") {
    const token = await signToken(config.jwtSecret, {
      sub: "developer",
      tenantId: "dev",
      roles: ["admin", "coordinator", "finance"],
      expiresIn: "12h",
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
    });
    logger.info(`playground (development token, tenant "dev", all roles): ${base}/graphql?token=${token}`);
  } else {
    logger.info(`playground: ${base}/graphql (make a token with: pnpm run token --tenant T --roles admin)`);
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down: finishing in-flight requests");
    gateway
      .close()
      .then(() => {
        logger.info("gateway stopped");
        logger.flush?.();
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      });
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((error: unknown) => {
  console.error("gateway failed to start:", error);
  process.exit(1);
});
