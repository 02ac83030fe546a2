export { databaseUrl } from "./config";
export { ensureDatabase } from "./create-database";
export type { EnsureDatabaseOptions } from "./create-database";
export { migrate } from "./migrate";
export type { MigrateOptions, MigrateResult, MigrateLogLevel, MigrationError } from "./migrate";
// The client factory, schema.prisma's enums (values and types) and the model types.
export * from "./prisma";
export { createPool } from "./pg";
export { guardOptions, guardSettings, REQUEST_SESSION_GUARDS, WORKER_SESSION_GUARDS } from "./session-guards";
export type { SessionGuards } from "./session-guards";
export type { PoolOptions } from "./pg";
export {
  OWNER_POLICY,
  quoteName,
  READER_POLICY,
  READER_ROLE,
  readerCondition,
  readerPolicySql,
  readerRoleSql,
  ROLES_SETTING,
  rowSecurityMigration,
  searchViewQuery,
  searchViewSql,
  TENANT_SETTING,
  ownerPolicySql,
} from "./row-security";
export type { TableAccess } from "./row-security";
export { compareSchemas, snapshotSchema } from "./schema-snapshot";
export type { SchemaSnapshot, SnapshotOptions } from "./schema-snapshot";
export { schemaPrismaReference, schemaReferenceUnavailable } from "./schema-reference";
export type { SchemaReference } from "./schema-reference";
