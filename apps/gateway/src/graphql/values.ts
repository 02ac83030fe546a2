// Conversions shared by the features' read queries.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Stream ids (families, coordinators, comments) are UUIDs: anything else names nothing. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** A BIGINT (or INT) column as a JS number; throws past 2^53 rather than lose precision. */
export function toSafeNumber(value: bigint | number | string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number)) throw new Error(`value ${value} does not fit a safe integer`);
  return number;
}
