/**
 * The event store's tables that the gateway reads, and the token roles that may read their rows
 * (of their own tenant): `familyHistory`, the audit trail, is for coordinators and admins. Row-level
 * security is generated from this (`pnpm db:rls`) beside the projections' own declarations, and the
 * worker checks it at start-up. The store's other tables (commands, snapshots, claims) are never
 * read by the gateway's reader role.
 */
export const EVENT_STORE_TABLES: readonly { name: string; readers: readonly ("admin" | "coordinator" | "finance")[] }[] = [
  { name: "events", readers: ["coordinator", "admin"] },
];
