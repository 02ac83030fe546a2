#!/usr/bin/env node
// Writes the SQL that takes one Prisma schema to another, using Prisma 6.19's WebAssembly
// schema engine (Prisma 7's CLI needs a native engine it cannot download here).
//
//   node scripts/migration-diff.mjs --from <schema.prisma | empty> --to <schema.prisma>
//   pnpm db:diff NAME   (from the schema as of the last commit to the working one, into a new
//                        prisma/migrations/<timestamp>_NAME/migration.sql)
import { spawnSync, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, mkdirSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(root, "packages/database/package.json"));

/** Prisma 6 wants the url inside the schema and a classic generator; neither matters to a diff. */
function legacySchema(text, dir, name) {
  const preview = /previewFeatures\s*=\s*\[[^\]]*\]/.exec(text)?.[0] ?? "";
  const body = text
    .replace(/generator\s+client\s*\{[^}]*\}/m, `generator client {\n  provider = "prisma-client-js"\n  ${preview}\n}`)
    .replace(/datasource\s+db\s*\{[^}]*\}/m,
      (block) => block.replace(/provider\s*=\s*"postgresql"/, 'provider = "postgresql"\n  url = "postgresql://diff@127.0.0.1:5432/diff"'));
  const file = join(dir, name);
  writeFileSync(file, body);
  return file;
}

/** The diff engine opens a connection (it reads the server version); any reachable database does. */
function adminUrl() {
  const url = new URL(process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/coop");
  url.pathname = "/postgres";
  return url.toString();
}

export function diff(fromText, toText) {
  const dir = mkdtempSync(join(tmpdir(), "coop-diff-"));
  const adapter = require.resolve("prisma-legacy-adapter-pg");
  writeFileSync(join(dir, "prisma.config.mjs"), `
import { PrismaPg } from ${JSON.stringify(adapter)};
export default {
  experimental: { adapter: true },
  engine: "js",
  schema: "to.prisma",
  adapter: async () => new PrismaPg({ connectionString: ${JSON.stringify(adminUrl())}, allowExitOnIdle: true, idleTimeoutMillis: 50 }),
};
`);
  const to = legacySchema(toText, dir, "to.prisma");
  const fromArgs = fromText === null ? ["--from-empty"] : ["--from-schema-datamodel", legacySchema(fromText, dir, "from.prisma")];
  const cli = require.resolve("prisma-legacy/build/index.js");
  const env = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.execPath, PRISMA_QUERY_ENGINE_LIBRARY: process.execPath, PRISMA_HIDE_UPDATE_MESSAGE: "1" };
  const run = spawnSync(process.execPath, [cli, "migrate", "diff", ...fromArgs, "--to-schema-datamodel", to, "--script", "--config", join(dir, "prisma.config.mjs")], { cwd: dir, env, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`prisma migrate diff failed:\n${run.stderr}\n${run.stdout}`);
  // Drop the config banner; keep the SQL.
  return run.stdout.split("\n").filter((l) => !l.startsWith("Loaded Prisma config")).join("\n").trim() + "\n";
}

function main(argv) {
  const arg = (flag) => { const i = argv.indexOf(flag); return i >= 0 ? argv[i + 1] : undefined; };
  if (arg("--to")) {
    const from = arg("--from");
    const fromText = !from || from === "empty" ? null : readFileSync(from, "utf8");
    process.stdout.write(diff(fromText, readFileSync(arg("--to"), "utf8")));
    return;
  }
  const name = argv[0];
  if (!name || !/^[a-z0-9_]+$/.test(name)) {
    console.error("usage: pnpm db:diff NAME   (NAME in lower_snake_case)");
    process.exit(2);
  }
  let previous = null;
  try {
    previous = execFileSync("git", ["show", "HEAD:prisma/schema.prisma"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch { previous = null; }
  const sql = diff(previous, readFileSync(join(root, "prisma/schema.prisma"), "utf8"));
  if (!sql.trim() || /^-- This is an empty migration/.test(sql.trim())) {
    console.log("schema.prisma has no changes against HEAD: no migration written");
    return;
  }
  const stamp = new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);
  const dir = join(root, "prisma/migrations", `${stamp}_${name}`);
  if (existsSync(dir)) throw new Error(`${dir} exists`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "migration.sql"), sql);
  console.log(`wrote ${dir}/migration.sql`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
