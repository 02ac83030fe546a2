// One personal value sealed with its family's data key: AES-256-GCM (node:crypto), a random
// 96-bit nonce per value, the stream ("tenant/stream id") as additional authenticated data so that
// a sealed value cannot be moved to another family. Stored in the event's JSON in place of the
// value, as text: `pii1:` + `s` (the value was text) or `j` (any other JSON) + base64 of
// nonce | ciphertext | tag. The kind survives the key: an erased value is `(erased)` for text and
// null for anything else, without decrypting.
import { createCipheriv, createDecipheriv, randomFillSync } from "node:crypto";

const PREFIX = "pii1:";
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export type SealedKind = "s" | "j";

// Nonces drawn from a pooled random buffer: one getrandom call per 1,024 values instead of one each
// (randomBytes(12) costs about half of an encryption on its own).
const NONCE_POOL = Buffer.alloc(NONCE_BYTES * 1024);
let noncePoolAt = NONCE_POOL.length;

/** `bytes` fresh random bytes (at most 64), from the pool. */
export function pooledRandom(bytes: number): Buffer {
  if (noncePoolAt + bytes > NONCE_POOL.length) {
    randomFillSync(NONCE_POOL);
    noncePoolAt = 0;
  }
  const out = Buffer.from(NONCE_POOL.subarray(noncePoolAt, noncePoolAt + bytes));
  noncePoolAt += bytes;
  return out;
}

function nextNonce(): Buffer {
  return pooledRandom(NONCE_BYTES);
}

/** Whether a stored value is a sealed personal value (rather than plaintext written before encryption). */
export function isSealed(value: unknown): value is string {
  return typeof value === "string" && value.length > PREFIX.length + 1 && value.startsWith(PREFIX) && (value[PREFIX.length] === "s" || value[PREFIX.length] === "j");
}

/** What kind of value a sealed one holds: text (`s`) or other JSON (`j`). */
export function sealedKind(sealed: string): SealedKind {
  return sealed[PREFIX.length] as SealedKind;
}

/** Seals one value (text, or any JSON value) for the stream named by `aad`. */
export function sealValue(key: Buffer, aad: Buffer, value: unknown): string {
  if (key.length !== KEY_BYTES) throw new Error("a data key is 32 bytes");
  const kind: SealedKind = typeof value === "string" ? "s" : "j";
  const plaintext = Buffer.from(kind === "s" ? (value as string) : JSON.stringify(value), "utf8");
  const nonce = nextNonce();
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(aad);
  const body = cipher.update(plaintext);
  const final = cipher.final();
  const sealed = Buffer.concat([nonce, body, final, cipher.getAuthTag()]);
  return `${PREFIX}${kind}${sealed.toString("base64")}`;
}

/** The value sealed in `sealed`; throws when it was not sealed with this key for this stream (or was altered). */
export function openValue(key: Buffer, aad: Buffer, sealed: string): unknown {
  const bytes = Buffer.from(sealed.slice(PREFIX.length + 1), "base64");
  if (bytes.length < NONCE_BYTES + TAG_BYTES) throw new Error("sealed value is too short");
  const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(0, NONCE_BYTES));
  decipher.setAAD(aad);
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  const text = decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES), undefined, "utf8") + decipher.final("utf8");
  return sealedKind(sealed) === "s" ? text : (JSON.parse(text) as unknown);
}

/** Whether `value` is a value sealed with this key for the stream named by `aad` (and unaltered). */
export function opensWith(key: Buffer, aad: Buffer, value: unknown): boolean {
  if (!isSealed(value)) return false;
  try {
    openValue(key, aad, value);
    return true;
  } catch {
    return false;
  }
}
