/** Any value that survives a JSON round trip unchanged (what JSONB columns hold). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };
