// `pnpm db:rls NAME`: writes a migration that brings row-level security, the reader role and its
// grants in line with the access declarations (the projections' tables and the event store's).
// Offline: no database is needed. The script is idempotent, so a new one may simply restate it all.
import { checkRegistry } from "../runtime/registry";
import { projections } from "../projections/projections";
import { currentRowSecurityMigration, newestRowSecurityMigration, writeRowSecurityMigration } from "./row-security-migration";

const name = process.argv.slice(2).filter((a) => a !== "--")[0];
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error("usage: pnpm db:rls NAME   (NAME in lower_snake_case)");
  process.exit(2);
}
checkRegistry(projections);
const newest = newestRowSecurityMigration();
if (newest?.script === currentRowSecurityMigration()) {
  console.log(`the access declarations have not changed since ${newest.name}: no migration written`);
} else {
  console.log(`wrote ${writeRowSecurityMigration(name)}`);
}
