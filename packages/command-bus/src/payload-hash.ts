import { createHash } from "node:crypto";

/** JSON with object keys sorted, so that the same input always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

/** Identifies a command's input for idempotency: a reused command id with other input is refused. */
export function payloadHash(type: string, payload: unknown): string {
  return createHash("sha256").update(type).update("\n").update(canonicalJson(payload)).digest("hex");
}

/**
 * A stream id derived from a command id, for commands that create a stream without naming it:
 * resending the same command id then names the same stream (a UUID v5-style layout of SHA-1).
 */
export function streamIdFor(tenantId: string, commandId: string): string {
  const bytes = createHash("sha1").update("coop:stream:").update(tenantId).update(":").update(commandId.toLowerCase()).digest();
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
