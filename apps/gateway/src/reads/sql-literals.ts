// Query parameters written into the SQL text as quoted literals, so that the settings a read needs
// and the read itself travel in one simple-protocol message (one round trip; see tenant-reader.ts).
// Each value becomes what pg would send as a parameter: its text form, untyped, so that PostgreSQL
// infers its type from the context (or from the query's own cast) exactly as it does for `$n`.
import pg from "pg";

export type SqlValue = string | number | bigint | boolean | null | readonly string[];

/** A value as a quoted SQL literal (or NULL). Refuses what PostgreSQL's text cannot hold. */
export function literal(value: SqlValue): string {
  if (value === null) return "NULL";
  if (typeof value === "string") return quoted(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`cannot write ${value} as an SQL literal`);
    return quoted(String(value));
  }
  if (typeof value === "bigint" || typeof value === "boolean") return quoted(String(value));
  if (Array.isArray(value)) return quoted(`{${value.map(arrayElement).join(",")}}`);
  throw new TypeError(`cannot write a ${typeof value} as an SQL literal`);
}

function quoted(text: string): string {
  // The message is NUL-terminated: a NUL would cut the statement short. PostgreSQL text cannot hold
  // one anyway, and the resolvers refuse it in input.
  if (text.includes("\0")) throw new TypeError("an SQL literal cannot hold a NUL character");
  return pg.escapeLiteral(text);
}

/** An element of an array literal: always double-quoted, with `"` and `\` escaped. */
function arrayElement(element: string): string {
  if (typeof element !== "string") throw new TypeError("only arrays of strings can be written as SQL literals");
  return `"${element.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/**
 * The statement with every `$n` replaced by the literal of values[n - 1]. Placeholders inside
 * quoted strings, quoted identifiers and comments are left alone; dollar-quoted and E'' strings
 * are refused (none of our statements has one). Every value must be used, and every placeholder have a value.
 */
export function inlineParameters(sql: string, values: readonly SqlValue[]): string {
  const used = new Array<boolean>(values.length).fill(false);
  let out = "";
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === "'" || c === '"') {
      if (c === "'" && /(^|[^A-Za-z0-9_])[Ee]$/.test(sql.slice(Math.max(0, i - 2), i))) throw new SyntaxError("E'' strings are not supported here");
      const end = closing(sql, i, c);
      out += sql.slice(i, end);
      i = end;
    } else if (c === "-" && next === "-") {
      const end = sql.indexOf("\n", i);
      const stop = end < 0 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === "/" && next === "*") {
      const end = sql.indexOf("*/", i + 2);
      if (end < 0) throw new SyntaxError("unterminated comment in SQL");
      out += sql.slice(i, end + 2);
      i = end + 2;
    } else if (c === "$" && next !== undefined && /[0-9]/.test(next)) {
      let j = i + 1;
      while (j < sql.length && /[0-9]/.test(sql[j]!)) j++;
      const n = Number(sql.slice(i + 1, j));
      if (n < 1 || n > values.length) throw new RangeError(`placeholder $${n} has no value (${values.length} given)`);
      used[n - 1] = true;
      out += literal(values[n - 1]!);
      i = j;
    } else if (c === "$" && (next === "$" || (next !== undefined && /[A-Za-z_]/.test(next)))) {
      throw new SyntaxError("dollar-quoted strings are not supported here");
    } else {
      out += c;
      i++;
    }
  }
  const unused = used.flatMap((u, k) => (u ? [] : [`$${k + 1}`]));
  if (unused.length > 0) throw new RangeError(`value(s) for ${unused.join(", ")} given but not used`);
  return out;
}

/** The index just past the quoted string or identifier that starts at `start` (doubled quotes escape). */
function closing(sql: string, start: number, quote: string): number {
  let i = start + 1;
  for (;;) {
    const end = sql.indexOf(quote, i);
    if (end < 0) throw new SyntaxError(`unterminated ${quote === "'" ? "string" : "identifier"} in SQL`);
    if (sql[end + 1] === quote) {
      i = end + 2;
      continue;
    }
    return end + 1;
  }
}
