// The row-level security migration, from the access declarations: what `pnpm db:rls NAME` writes,
// and how a test finds the newest one to compare with the declarations.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { rowSecurityMigration } from "@coop/database";
import { projections } from "../projections/projections";
import { declaredTables } from "../runtime/registry";

export const MIGRATIONS_DIR = fileURLToPath(new URL("../../../../prisma/migrations", import.meta.url));

/** The first line of every generated script: how the newest one is found. */
const HEADER = rowSecurityMigration([{ name: "t", readers: ["admin"] }]).split("\n")[0]!;

/** The script for the worker's projections and the event store, as it would be written now. */
export function currentRowSecurityMigration(): string {
  return rowSecurityMigration(declaredTables(projections));
}

/** The newest migration written by the generator, or null. */
export function newestRowSecurityMigration(dir = MIGRATIONS_DIR): { name: string; script: string } | null {
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, "migration.sql")))
    .map((e) => e.name)
    .sort()
    .reverse();
  for (const name of names) {
    const script = readFileSync(join(dir, name, "migration.sql"), "utf8");
    if (script.startsWith(HEADER)) return { name, script };
  }
  return null;
}

/** Writes prisma/migrations/<timestamp>_<name>/migration.sql; returns its path. */
export function writeRowSecurityMigration(name: string, now = new Date(), dir = MIGRATIONS_DIR): string {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`migration name must be lower_snake_case, got "${name}"`);
  const stamp = now.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  const folder = join(dir, `${stamp}_${name}`);
  if (existsSync(folder)) throw new Error(`${folder} exists`);
  mkdirSync(folder, { recursive: true });
  const file = join(folder, "migration.sql");
  writeFileSync(file, currentRowSecurityMigration());
  return file;
}
