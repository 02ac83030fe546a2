import { GraphQLError, GraphQLScalarType, Kind } from "graphql";
import { GraphQLJSON, GraphQLSafeInt } from "graphql-scalars";

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** A strict YYYY-MM-DD that names a real calendar date (years 0001 to 9999). */
export function isCalendarDate(text: string): boolean {
  const match = ISO_DATE.exec(text);
  if (!match) return false;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/** A JS Date (Prisma gives DATE columns as UTC midnight) or a date string, as YYYY-MM-DD. */
export function formatDate(value: Date | string): string {
  if (typeof value === "string") return value;
  return value.toISOString().slice(0, 10);
}

function parseDate(value: unknown): string {
  if (typeof value !== "string" || !isCalendarDate(value)) {
    throw new GraphQLError(`Date must be a real calendar date in YYYY-MM-DD form, got ${JSON.stringify(value)?.slice(0, 40)}`);
  }
  return value;
}

export const DateScalar = new GraphQLScalarType({
  name: "Date",
  description: "A calendar date, YYYY-MM-DD (a real date; years 0001 to 9999).",
  specifiedByURL: "https://www.rfc-editor.org/rfc/rfc3339#section-5.6",
  serialize(value) {
    if (value instanceof Date && !Number.isNaN(value.getTime())) return formatDate(value);
    if (typeof value === "string" && isCalendarDate(value)) return value;
    throw new GraphQLError(`Date cannot represent ${String(value)}`);
  },
  parseValue: parseDate,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new GraphQLError("Date must be a string in YYYY-MM-DD form", { nodes: [ast] });
    return parseDate(ast.value);
  },
});

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

function parseDateTime(value: unknown): Date {
  if (typeof value === "string" && ISO_DATE_TIME.test(value) && isCalendarDate(value.slice(0, 10))) {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new GraphQLError(`DateTime must be an ISO 8601 date and time with a zone, got ${JSON.stringify(value)?.slice(0, 40)}`);
}

export const DateTimeScalar = new GraphQLScalarType({
  name: "DateTime",
  description: "An instant, ISO 8601 in UTC (e.g. 2026-11-23T05:36:00.000Z).",
  specifiedByURL: "https://www.rfc-editor.org/rfc/rfc3339#section-5.6",
  serialize(value) {
    if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString();
    if (typeof value === "string") return parseDateTime(value).toISOString();
    throw new GraphQLError(`DateTime cannot represent ${String(value)}`);
  },
  parseValue: parseDateTime,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new GraphQLError("DateTime must be an ISO 8601 string", { nodes: [ast] });
    return parseDateTime(ast.value);
  },
});

/** Any JSON value. */
export const JSONScalar = GraphQLJSON;

/**
 * An integer up to 2^53 - 1 in magnitude, a JSON number (CONTRACT section 3, second part): sums of
 * cents outgrow GraphQL's 32-bit Int.
 */
export const SafeIntScalar = GraphQLSafeInt;
