#!/usr/bin/env node
// Generates the Prisma client during `pnpm install`.
// The Prisma CLI insists on a native schema engine even for `generate`, which never runs it,
// and its download is not possible on machines without internet. Pointing the engine variable
// at any existing file satisfies the check; the generated client itself needs no engine.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";

const env = { ...process.env };
for (const name of ["PRISMA_SCHEMA_ENGINE_BINARY", "PRISMA_QUERY_ENGINE_LIBRARY"]) {
  if (!env[name] || !existsSync(env[name])) env[name] = process.execPath;
}
const require = createRequire(import.meta.url);
const cli = require.resolve("prisma/build/index.js");
const result = spawnSync(process.execPath, [cli, "generate"], { stdio: "inherit", env });
process.exit(result.status ?? 1);
