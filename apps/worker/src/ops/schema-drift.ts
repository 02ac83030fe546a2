// Columns, keys and indexes of the declared tables against schema.prisma (its reference snapshot,
// built by @coop/database the way the schema-parity test builds it), each difference with the SQL
// that repairs it. Pure: snapshots in, differences out.
import type { SchemaReference, SchemaSnapshot } from "@coop/database";
import { ident } from "../projections/sql";

/** One difference between the database and what it should be, with the SQL that repairs it. */
export interface Drift {
  /** The table (or view, or role) it concerns. */
  subject: string;
  /** What differs, in words, with both sides where there are two. */
  what: string;
  /** Statements that repair it, in order; empty when it cannot be repaired by SQL alone (said in `what`). */
  repair: string[];
}

/** The table an index definition (as snapshotSchema normalises it) is on. */
export function indexTable(definition: string): string | null {
  return / ON (?:ONLY )?("(?:[^"]|"")+"|[^\s"]+) USING /.exec(definition)?.[1]?.replace(/^"|"$/g, "").replace(/""/g, '"') ?? null;
}

interface ColumnDefinition {
  type: string;
  notNull: boolean;
  identity: string | null;
  generated: boolean;
  collate: string | null;
  default: string | null;
}

/** A column as snapshotSchema writes it: `type NOT NULL|NULL [IDENTITY x] [GENERATED] [COLLATE c] [DEFAULT expr]`. */
export function parseColumn(definition: string): ColumnDefinition {
  const match = /^(.*?) (NOT NULL|NULL)(?: IDENTITY (\w))?( GENERATED)?(?: COLLATE (\S+))?(?: DEFAULT (.*))?$/s.exec(definition);
  if (!match) throw new Error(`unexpected column definition: ${definition}`);
  return { type: match[1]!, notNull: match[2] === "NOT NULL", identity: match[3] ?? null, generated: match[4] !== undefined, collate: match[5] ?? null, default: match[6] ?? null };
}

/** The statements of Prisma's script that create a table: the table, then its indexes. */
function createStatements(sql: string, table: string): string[] {
  const quoted = `"${table.replace(/"/g, '""')}"`;
  return sql
    .split(/;\s*\n/)
    .map((s) => s.replace(/^(\s*--[^\n]*\n)*/g, "").trim())
    .filter((s) => s.startsWith(`CREATE TABLE ${quoted} `) || new RegExp(`^CREATE (UNIQUE )?INDEX "[^"]+" ON ${quoted.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`).test(s))
    .map((s) => `${s};`);
}

function columnDrift(table: string, column: string, actual: string | undefined, expected: string | undefined): Drift {
  const subject = table;
  const on = `ALTER TABLE ${ident(table)}`;
  if (actual === undefined) {
    const e = parseColumn(expected!);
    const extras = [e.collate ? ` COLLATE ${e.collate}` : "", e.default !== null ? ` DEFAULT ${e.default}` : "", e.notNull ? " NOT NULL" : ""].join("");
    return { subject, what: `column ${column} is missing (schema.prisma: ${expected})`, repair: [`${on} ADD COLUMN ${ident(column)} ${e.type}${extras};`] };
  }
  if (expected === undefined) {
    return { subject, what: `column ${column} is not in schema.prisma (database: ${actual})`, repair: [`${on} DROP COLUMN ${ident(column)};`] };
  }
  const a = parseColumn(actual);
  const e = parseColumn(expected);
  const repair: string[] = [];
  if (a.identity !== e.identity || a.generated !== e.generated) {
    return { subject, what: `column ${column} differs in identity or generation (database: ${actual}; schema.prisma: ${expected}): rebuild the table by hand`, repair: [] };
  }
  const col = `${on} ALTER COLUMN ${ident(column)}`;
  if (a.type !== e.type || a.collate !== e.collate) repair.push(`${col} TYPE ${e.type}${e.collate ? ` COLLATE ${e.collate}` : ""} USING ${ident(column)}::${e.type};`);
  if (a.default !== e.default) repair.push(e.default === null ? `${col} DROP DEFAULT;` : `${col} SET DEFAULT ${e.default};`);
  if (a.notNull !== e.notNull) repair.push(e.notNull ? `${col} SET NOT NULL;` : `${col} DROP NOT NULL;`);
  return { subject, what: `column ${column} differs (database: ${actual}; schema.prisma: ${expected})`, repair };
}

/**
 * The differences of one declared table's columns, constraints and indexes. A table missing
 * altogether is one difference, repaired by Prisma's own CREATE statements for it.
 */
export function tableSchemaDrift(table: string, actual: SchemaSnapshot, reference: SchemaReference): Drift[] {
  const relation = `relation ${table}`;
  if (!reference.snapshot.has(relation)) {
    return [{ subject: table, what: "is declared by a projection but schema.prisma has no such table: add its model", repair: [] }];
  }
  if (!actual.has(relation)) {
    return [{ subject: table, what: "is missing (run pnpm db:migrate, or create it as schema.prisma does)", repair: createStatements(reference.sql, table) }];
  }
  const keysOf = (snapshot: SchemaSnapshot) =>
    [...snapshot.keys()].filter((key) => key.startsWith(`column ${table}.`) || key.startsWith(`constraint ${table}.`) || (key.startsWith("index ") && indexTable(snapshot.get(key)!) === table));
  const keys = [...new Set([...keysOf(actual), ...keysOf(reference.snapshot)])].sort();
  const constraintNames = new Set(keys.filter((k) => k.startsWith("constraint ")).map((k) => k.slice(`constraint ${table}.`.length)));
  const drifts: Drift[] = [];
  for (const key of keys) {
    const a = actual.get(key);
    const e = reference.snapshot.get(key);
    if (a === e) continue;
    const on = `ALTER TABLE ${ident(table)}`;
    if (key.startsWith("column ")) {
      drifts.push(columnDrift(table, key.slice(`column ${table}.`.length), a, e));
    } else if (key.startsWith("constraint ")) {
      const name = key.slice(`constraint ${table}.`.length);
      const drop = `${on} DROP CONSTRAINT ${ident(name)};`;
      const add = `${on} ADD CONSTRAINT ${ident(name)} ${e};`;
      if (a === undefined) drifts.push({ subject: table, what: `constraint ${name} is missing (schema.prisma: ${e})`, repair: [add] });
      else if (e === undefined) drifts.push({ subject: table, what: `constraint ${name} is not in schema.prisma (database: ${a})`, repair: [drop] });
      else drifts.push({ subject: table, what: `constraint ${name} differs (database: ${a}; schema.prisma: ${e})`, repair: [drop, add] });
    } else {
      const name = key.slice("index ".length);
      if (constraintNames.has(name)) continue; // a key's index: its constraint's repair makes it
      const drop = `DROP INDEX ${ident(name)};`;
      if (a === undefined) drifts.push({ subject: table, what: `index ${name} is missing (schema.prisma: ${e})`, repair: [`${e};`] });
      else if (e === undefined) drifts.push({ subject: table, what: `index ${name} is not in schema.prisma (database: ${a})`, repair: [drop] });
      else drifts.push({ subject: table, what: `index ${name} differs (database: ${a}; schema.prisma: ${e})`, repair: [drop, `${e};`] });
    }
  }
  return drifts;
}
