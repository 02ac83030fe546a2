// `pnpm data-keys seal-existing`: the one-off rewrite of events written before personal data was
// sealed (safe to run twice, and while the system runs). `pnpm data-keys rewrap`: after a
// rotation of DATA_KEY_SECRET (the old one in DATA_KEY_SECRET_PREVIOUS), every family key wrapped
// anew under the current secret.
import { createPool, WORKER_SESSION_GUARDS } from "@coop/database";
import { domainEventTypes, personalDataOf, stateSchemaVersions } from "@coop/domain";
import { sealStoredPersonalData } from "@coop/event-store";
import { loadWorkerConfig } from "../config";
import { errorMessage } from "../logger";
import { personalDataEventStore } from "@coop/process";

const USAGE = `usage: pnpm data-keys seal-existing | rewrap
  seal-existing  seals the personal fields of events written before encryption (erases those of
                 forgotten families) and deletes snapshots of older state versions; safe to repeat
  rewrap         wraps every family key under DATA_KEY_SECRET (keys under DATA_KEY_SECRET_PREVIOUS)`;

async function main(): Promise<number> {
  const command = process.argv[2];
  if (command !== "seal-existing" && command !== "rewrap") {
    console.error(USAGE);
    return 2;
  }
  const config = loadWorkerConfig(process.env, { requireJwtSecret: false });
  const pool = createPool(config.databaseUrl, { max: 2, application_name: `coop-data-keys:${process.pid}`, guards: { ...WORKER_SESSION_GUARDS, statementTimeoutMs: 0 } });
  try {
    const codec = personalDataEventStore(pool, config).codec!;
    if (command === "rewrap") {
      const result = await codec.keys.rewrap();
      console.log(`rewrapped ${result.rewrapped} keys; ${result.remaining} still under a secret not configured here`);
      return result.remaining === 0 ? 0 : 1;
    }
    // Every event type that holds personal data (its older schema versions' paths come with it).
    const eventTypes = [...domainEventTypes].filter((type) => personalDataOf(type).length > 0);
    const result = await sealStoredPersonalData(pool, codec, {
      eventTypes,
      stateSchemaVersions,
      onProgress: (p) => console.error(`... up to position ${p.position}: ${p.sealed} events sealed, ${p.erased} erased`),
    });
    console.log(`sealed ${result.sealed} events, erased ${result.erased} of forgotten families, made ${result.keysMade} keys, deleted ${result.snapshotsDeleted} snapshots`);
    return 0;
  } finally {
    await pool.end();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`data-keys failed: ${errorMessage(error)}`);
    process.exit(1);
  },
);
