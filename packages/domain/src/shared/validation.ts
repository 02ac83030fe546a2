import type { InvalidInput } from "./decider";
import type { JsonValue } from "./json";

/** Result of one field check: the normalised value, or the rejection naming the field. */
export type Check<T> = { ok: true; value: T } | { ok: false; rejection: InvalidInput };

export function invalid(field: string, message: string): { ok: false; rejection: InvalidInput } {
  return { ok: false, rejection: { type: "InvalidInput", field, message } };
}

function valid<T>(value: T): Check<T> {
  return { ok: true, value };
}

// ---------------------------------------------------------------------------------------
// Text

/** Length in code points, so that an emoji (a surrogate pair) counts as one character. */
export function codePointLength(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // A high surrogate followed by a low one is a single code point.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

// NUL and unpaired surrogates: PostgreSQL's text and jsonb cannot hold them, and they are never
// meaningful input, so they are refused here rather than failing the append.
// eslint-disable-next-line no-control-regex -- NUL is exactly what this looks for
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether `text` can be stored as it is: no NUL character, no unpaired surrogate. */
export function isStorableText(text: string): boolean {
  return !UNSTORABLE.test(text);
}

function unstorable(field: string): { ok: false; rejection: InvalidInput } {
  return invalid(field, `${field} must not contain NUL characters or unpaired surrogates`);
}

/** A required string: trimmed, then `min..max` code points. */
export function trimmedText(field: string, value: unknown, min: number, max: number): Check<string> {
  if (typeof value !== "string") return invalid(field, `${field} must be a string`);
  if (!isStorableText(value)) return unstorable(field);
  const text = value.trim();
  const length = codePointLength(text);
  if (length < min || length > max) {
    const range = min === max ? `${min}` : `${min} to ${max}`;
    return invalid(field, `${field} must be ${range} characters long after trimming (got ${length})`);
  }
  return valid(text);
}

/** An optional string: trimmed, empty or missing becomes null, else at most `max` code points. */
export function optionalTrimmedText(field: string, value: unknown, max: number): Check<string | null> {
  if (value === null || value === undefined) return valid(null);
  if (typeof value !== "string") return invalid(field, `${field} must be a string`);
  if (!isStorableText(value)) return unstorable(field);
  const text = value.trim();
  if (text === "") return valid(null);
  const length = codePointLength(text);
  if (length > max) return invalid(field, `${field} must be at most ${max} characters long (got ${length})`);
  return valid(text);
}

// ---------------------------------------------------------------------------------------
// Identifiers and addresses

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A UUID of any version in canonical 8-4-4-4-12 form, case-insensitive. Returned lower-cased,
 * as PostgreSQL prints it: the id also names the stream, so one family has one spelling.
 */
export function uuid(field: string, value: unknown): Check<string> {
  if (typeof value !== "string" || !UUID.test(value)) return invalid(field, `${field} must be a UUID`);
  return valid(value.toLowerCase());
}

// local@domain.tld: no whitespace, exactly one @, a dot in the domain with non-empty labels.
const EMAIL = /^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)+$/;
const EMAIL_MAX = 254;

/** Trimmed e-mail address; case is kept as given (the local part may be case-sensitive). */
export function email(field: string, value: unknown): Check<string> {
  if (typeof value !== "string") return invalid(field, `${field} must be a string`);
  if (!isStorableText(value)) return unstorable(field);
  const text = value.trim();
  if (codePointLength(text) > EMAIL_MAX) return invalid(field, `${field} must be at most ${EMAIL_MAX} characters long`);
  if (!EMAIL.test(text)) return invalid(field, `${field} must be a valid e-mail address`);
  return valid(text);
}

const PHONE_CHARS = /^[0-9 +\-().]+$/;
const HAS_DIGIT = /[0-9]/;
const PHONE_MAX = 50;

/** Optional phone number: trimmed, empty becomes null, else digits, spaces and + - ( ) . with a digit. */
export function phone(field: string, value: unknown): Check<string | null> {
  const text = optionalTrimmedText(field, value, PHONE_MAX);
  if (!text.ok || text.value === null) return text;
  if (!PHONE_CHARS.test(text.value) || !HAS_DIGIT.test(text.value)) {
    return invalid(field, `${field} may contain only digits, spaces and + - ( ) . and must contain a digit`);
  }
  return text;
}

// ---------------------------------------------------------------------------------------
// Numbers and enumerations

/** An integer (Number.isInteger) in `min..max` inclusive. */
export function integerInRange(field: string, value: unknown, min: number, max: number): Check<number> {
  if (typeof value !== "number" || !Number.isInteger(value)) return invalid(field, `${field} must be an integer`);
  if (value < min || value > max) return invalid(field, `${field} must be between ${min} and ${max}`);
  return valid(value);
}

export function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): Check<T> {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    return invalid(field, `${field} must be one of ${allowed.join(", ")}`);
  }
  return valid(value as T);
}

/** How deeply arrays and objects may nest in a JSON input: ample for data, and every recursive
 * reader downstream (hashing, PostgreSQL's jsonb parser, clients) stays far from its stack limit. */
export const JSON_MAX_DEPTH = 64;

/** What makes a JSON input unfit to store, found without recursion: nesting deeper than
 * `maxDepth`, or a string or key that cannot be stored. Null when it is fit. */
function jsonProblem(value: unknown, maxDepth: number): "depth" | "text" | null {
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length > 0) {
    const [current, depth] = pending.pop()!;
    if (typeof current === "string") {
      if (!isStorableText(current)) return "text";
      continue;
    }
    if (current === null || typeof current !== "object") continue;
    if (depth + 1 > maxDepth) return "depth";
    if (Array.isArray(current)) {
      for (const child of current) pending.push([child, depth + 1]);
    } else {
      for (const [key, child] of Object.entries(current)) {
        if (!isStorableText(key)) return "text";
        pending.push([child, depth + 1]);
      }
    }
  }
  return null;
}

/**
 * Any JSON value (missing becomes null), at most `maxChars` characters once serialised, at most
 * JSON_MAX_DEPTH levels deep, with only storable text. The value is returned as its JSON round
 * trip, so events only ever hold plain JSON data.
 */
export function jsonValue(field: string, value: unknown, maxChars: number): Check<JsonValue | null> {
  if (value === null || value === undefined) return valid(null);
  const problem = jsonProblem(value, JSON_MAX_DEPTH);
  if (problem === "depth") return invalid(field, `${field} must not nest arrays and objects more than ${JSON_MAX_DEPTH} levels deep`);
  if (problem === "text") return unstorable(field);
  let serialised: string | undefined;
  try {
    serialised = JSON.stringify(value);
  } catch {
    return invalid(field, `${field} must be a JSON value`);
  }
  if (serialised === undefined) return invalid(field, `${field} must be a JSON value`);
  // Code points are never more than UTF-16 units, so the exact count is only needed past the limit.
  if (serialised.length > maxChars && codePointLength(serialised) > maxChars) {
    return invalid(field, `${field} must be at most ${maxChars} characters once serialised as JSON`);
  }
  return valid(JSON.parse(serialised) as JsonValue);
}

// ---------------------------------------------------------------------------------------
// Calendar dates, as whole UTC days since 1970-01-01 (no clocks, no time zones)

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

// Proleptic Gregorian day count (H. Hinnant's days_from_civil); Date.UTC would map years 0-99 to 19xx.
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** Day number of a strict YYYY-MM-DD real calendar date (years 0001-9999), or null. */
export function parseCalendarDate(text: string): number | null {
  const match = ISO_DATE.exec(text);
  if (match === null) return null;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  return daysFromCivil(year, month, day);
}

export function formatCalendarDate(dayNumber: number): string {
  const { year, month, day } = civilFromDays(dayNumber);
  return `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

/** `date` moved by `days` whole days (negative moves back). Throws on a malformed date. */
export function addDays(date: string, days: number): string {
  return formatCalendarDate(requireCalendarDate(date, "date") + days);
}

/** Whole days from `from` to `to` (positive when `to` is later). Throws on a malformed date. */
export function daysBetween(from: string, to: string): number {
  return requireCalendarDate(to, "date") - requireCalendarDate(from, "date");
}

/** For trusted inputs (e.g. the context's today): a malformed date is a programming error. */
export function requireCalendarDate(text: string, what: string): number {
  const day = typeof text === "string" ? parseCalendarDate(text) : null;
  if (day === null) throw new Error(`${what} must be a YYYY-MM-DD calendar date, got ${JSON.stringify(text)}`);
  return day;
}

/** A user-supplied calendar date that is not after `today` (a day number, UTC). */
export function pastOrToday(field: string, value: unknown, today: number): Check<{ text: string; day: number }> {
  const date = calendarDate(field, value);
  if (date.ok && date.value.day > today) return invalid(field, `${field} must not be in the future`);
  return date;
}

/** A user-supplied calendar date: its text and its day number for comparisons. */
export function calendarDate(field: string, value: unknown): Check<{ text: string; day: number }> {
  const day = typeof value === "string" ? parseCalendarDate(value) : null;
  if (day === null) return invalid(field, `${field} must be a real calendar date in YYYY-MM-DD form`);
  return valid({ text: value as string, day });
}
