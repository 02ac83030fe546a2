// The benchmark's baseline for row-level security (`pnpm bench`, key `rls`): the real gateway, but
// reading as DATABASE_URL's user (the tables' owner) with the queries' tenant filter alone, no
// reader role, no settings, searches on the table itself. Never for anything but that comparison.
// Run as a process of its own, like the gateway: `PORT=4200 JWT_SECRET=... tsx src/testing/owner-reads.ts`.
import { exitOnSignals } from "@coop/process";
import { ConfigError, loadConfig } from "@coop/config";
import { createLogger } from "../logger";
import { createGateway } from "../server";

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`owner-reads: ${error.message}`);
    process.exit(2);
  }
  const logger = createLogger(config.logLevel, "gateway-owner-reads");
  const gateway = await createGateway(config, { logger, readAs: "owner" });
  logger.warn({ port: gateway.port }, "gateway reading as the tables' owner, without row-level security (benchmark baseline only)");
  exitOnSignals(() => gateway.close(), (error) => logger.error({ err: error }, "owner-reads: shutdown failed"));
}

main().catch((error: unknown) => {
  console.error("owner-reads failed to start:", error);
  process.exit(1);
});
