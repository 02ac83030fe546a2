import type pg from "pg";
import { aggregates, domainEventTypes as eventTypesOfTheDomain } from "@coop/domain";
import { EVENT_STORE_TABLES } from "@coop/event-store";
import { ANY_ROLE, tablesOf, type ProjectionDefinition, type ReadModelTable } from "../projections/types";

export class RegistryError extends Error {
  override readonly name = "RegistryError";
}

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** The event types the domain can emit: what a projection may list in `handles`. */
export function domainEventTypes(): ReadonlySet<string> {
  return eventTypesOfTheDomain;
}

/** The stream types of the domain's aggregates: what a projection may follow whole. */
export function domainStreamTypes(): ReadonlySet<string> {
  return new Set(aggregates.map((a) => a.streamType));
}

/**
 * Every table the gateway reads, with the roles that may read it: the event store's and every
 * projection's. Row-level security is generated from this list (`pnpm db:rls`) and checked against
 * the database by `pnpm projections drift`.
 */
export function declaredTables(list: readonly ProjectionDefinition[], eventStoreTables: readonly ReadModelTable[] = EVENT_STORE_TABLES): ReadModelTable[] {
  return [...eventStoreTables, ...list.flatMap((p) => p.tables)];
}

function checkReaders(label: string, { name, readers }: ReadModelTable, problems: string[]): void {
  if (readers.length === 0) problems.push(`${label}: table "${name}" names no role that may read it`);
  for (const role of readers) if (!ANY_ROLE.includes(role)) problems.push(`${label}: table "${name}" names an unknown role "${role}"`);
}

/**
 * Checks the list of projections without a database: names well-formed and unique, versions whole
 * numbers, every handled type a domain event type and every followed stream a domain stream type,
 * every projection with tables (each with the roles that may read it) and events, no table written
 * by two projections (a rebuild swaps a projection's tables as a whole) nor by a projection and the
 * event store, whose tables' readers are checked too. Throws listing every problem.
 */
export function checkRegistry(
  list: readonly ProjectionDefinition[],
  eventTypes = domainEventTypes(),
  streamTypes = domainStreamTypes(),
  eventStoreTables: readonly ReadModelTable[] = EVENT_STORE_TABLES,
): void {
  const problems: string[] = [];
  if (list.length === 0) problems.push("no projections are registered");
  const names = new Set<string>();
  const owners = new Map<string, string>();
  for (const table of eventStoreTables) {
    checkReaders("the event store", table, problems);
    owners.set(table.name, "the event store");
  }
  for (const p of list) {
    const label = `projection "${p.name}"`;
    if (!NAME.test(p.name)) problems.push(`${label}: name must be lower-case words joined by dashes`);
    if (names.has(p.name)) problems.push(`${label} is registered twice`);
    names.add(p.name);
    if (!Number.isInteger(p.version) || p.version < 1) problems.push(`${label}: version must be a whole number of at least 1`);
    if (p.handles.length === 0) problems.push(`${label} handles no event types`);
    for (const stream of p.followsStreams ?? []) {
      if (!streamTypes.has(stream)) problems.push(`${label} follows "${stream}", which is not a domain stream type (known: ${[...streamTypes].join(", ")})`);
    }
    if (new Set(p.handles).size !== p.handles.length) problems.push(`${label} lists an event type twice`);
    for (const type of p.handles) {
      if (!eventTypes.has(type)) problems.push(`${label} handles "${type}", which is not a domain event type (known: ${[...eventTypes].join(", ")})`);
    }
    if (p.tables.length === 0) problems.push(`${label} declares no tables`);
    for (const table of p.tables) checkReaders(label, table, problems);
    for (const table of tablesOf(p)) {
      if (!/^[a-z_][a-z0-9_]*$/.test(table)) problems.push(`${label}: table name "${table}" is not a plain lower-case identifier`);
      const owner = owners.get(table);
      if (owner !== undefined && owner !== p.name) problems.push(`table "${table}" is written by both ${owner.startsWith("the ") ? owner : `"${owner}"`} and "${p.name}"`);
      owners.set(table, p.name);
    }
    if (typeof p.apply !== "function") problems.push(`${label} has no apply function`);
  }
  const views = new Set<string>();
  for (const p of list) {
    for (const { name, searchView } of p.tables) {
      if (searchView === undefined) continue;
      const label = `projection "${p.name}": search view "${searchView}" of "${name}"`;
      if (!/^[a-z_][a-z0-9_]*$/.test(searchView)) problems.push(`${label} is not a plain lower-case identifier`);
      if (owners.has(searchView) || views.has(searchView)) problems.push(`${label} has the name of another table or view`);
      views.add(searchView);
    }
  }
  if (problems.length > 0) throw new RegistryError(`projection registry is invalid:\n  - ${problems.join("\n  - ")}`);
}

/** Checks that every projection's tables, and the checkpoint tables, exist in the database. */
export async function checkTables(pool: pg.Pool | pg.ClientBase, list: readonly ProjectionDefinition[]): Promise<void> {
  const wanted = [...EVENT_STORE_TABLES.map((t) => t.name), "projections", "projection_lanes", "publisher_checkpoints", "dead_letters", "skipped_events", "leases", "worker_heartbeats", ...list.flatMap(tablesOf)];
  const { rows } = await pool.query<{ name: string; oid: string | null }>(
    "SELECT name, to_regclass(quote_ident(name))::text AS oid FROM unnest($1::text[]) AS name",
    [wanted],
  );
  const missing = rows.filter((r) => r.oid === null).map((r) => r.name);
  if (missing.length > 0) {
    throw new RegistryError(
      `the database lacks table(s) ${missing.join(", ")}: run \`pnpm db:migrate\` first (the worker never migrates)`,
    );
  }
}

export function findProjection(list: readonly ProjectionDefinition[], name: string): ProjectionDefinition | undefined {
  return list.find((p) => p.name === name);
}
