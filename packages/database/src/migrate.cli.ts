// `pnpm db:migrate`: applies pending migrations to DATABASE_URL (or the local default).
import { connectionTarget, databaseUrl, redactUrl } from "./config";
import { migrate, MigrationError } from "./migrate";

const NETWORK_ERRORS = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ECONNRESET", "ENETUNREACH"]);

function explain(error: unknown, url: string): string {
  if (error instanceof MigrationError) return `${error.code}: ${error.message}`;
  const { host, port, database, user } = connectionTarget(url);
  const err = error as { code?: string; message?: string; errors?: { code?: string }[] };
  const code = err.code ?? err.errors?.[0]?.code;
  if (code && NETWORK_ERRORS.has(code)) {
    return `cannot reach PostgreSQL at ${host}:${port} (${code}). Is it running? Set DATABASE_URL to point elsewhere.`;
  }
  if (code === "28P01" || code === "28000") {
    return `PostgreSQL at ${host}:${port} refused user "${user}" for database "${database}": ${err.message}`;
  }
  return `${err.message || String(error)}${code ? ` (${code})` : ""}`;
}

async function main(): Promise<void> {
  const url = databaseUrl();
  try {
    const { applied } = await migrate(url, {
      log: (level, message) => (level === "warn" ? console.warn(`warning: ${message}`) : console.log(message)),
    });
    if (applied.length === 0) console.log(`database is up to date (${redactUrl(url)})`);
    else console.log(`applied ${applied.length} migration(s) to ${redactUrl(url)}:\n${applied.map((n) => `  ${n}`).join("\n")}`);
  } catch (error) {
    console.error(`migration failed for ${redactUrl(url)}: ${explain(error, url)}`);
    process.exitCode = 1;
  }
}

await main();
