// Wraps each family's data key with a key-encryption key derived from DATA_KEY_SECRET, so that the
// data keys table alone reveals nothing. Each secret has a key id (stored beside every wrapped key):
// rotating the secret means starting the processes with the new secret and the old one as a
// previous secret, rewrapping every key (`pnpm data-keys rewrap`), then dropping the old one.
import { createCipheriv, createDecipheriv, hkdfSync } from "node:crypto";
import { pooledRandom } from "./field-cipher";

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const DATA_KEY_BYTES = 32;

interface MasterKey {
  id: string;
  kek: Buffer;
}

function derive(secret: string): MasterKey {
  if (secret.length < 16) throw new Error("a data key secret must be at least 16 characters");
  const ikm = Buffer.from(secret, "utf8");
  const kek = Buffer.from(hkdfSync("sha256", ikm, "coop-data-keys", "key-encryption-key", 32));
  // The id names the secret without revealing it: derived apart from the key itself.
  const id = Buffer.from(hkdfSync("sha256", ikm, "coop-data-keys", "key-id", 6)).toString("hex");
  return { id, kek };
}

export interface KeySecrets {
  /** DATA_KEY_SECRET: wraps every new key, and every key that is rewrapped. */
  current: string;
  /** Secrets that wrapped keys before a rotation, still able to unwrap them until they are rewrapped. */
  previous?: readonly string[];
}

export class KeyWrapper {
  private readonly current: MasterKey;
  private readonly byId = new Map<string, MasterKey>();

  constructor(secrets: KeySecrets) {
    this.current = derive(secrets.current);
    for (const key of [this.current, ...(secrets.previous ?? []).map(derive)]) this.byId.set(key.id, key);
  }

  /** The id of the secret that wraps new keys. */
  get currentKeyId(): string {
    return this.current.id;
  }

  /** Every key id this process can unwrap: the current secret's and the previous ones'. */
  knownKeyIds(): string[] {
    return [...this.byId.keys()];
  }

  /** Whether keys wrapped under this key id can be unwrapped here. */
  knows(keyId: string): boolean {
    return this.byId.has(keyId);
  }

  /** A fresh random data key. */
  newDataKey(): Buffer {
    return pooledRandom(DATA_KEY_BYTES);
  }

  /** The data key wrapped for one stream (named by `aad`), under the current secret. */
  wrap(dataKey: Buffer, aad: Buffer): { keyId: string; wrapped: Buffer } {
    const nonce = pooledRandom(NONCE_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.current.kek, nonce);
    cipher.setAAD(aad);
    const body = Buffer.concat([cipher.update(dataKey), cipher.final()]);
    return { keyId: this.current.id, wrapped: Buffer.concat([nonce, body, cipher.getAuthTag()]) };
  }

  /** The data key, or an error naming only the key id when the secret is unknown or the bytes do not fit. */
  unwrap(keyId: string, wrapped: Buffer, aad: Buffer): Buffer {
    const master = this.byId.get(keyId);
    if (!master) throw new Error(`data key wrapped under key id ${keyId}, which no configured DATA_KEY_SECRET has (rotated away too early?)`);
    if (wrapped.length !== NONCE_BYTES + DATA_KEY_BYTES + TAG_BYTES) throw new Error(`wrapped data key under key id ${keyId} has the wrong length`);
    const decipher = createDecipheriv("aes-256-gcm", master.kek, wrapped.subarray(0, NONCE_BYTES));
    decipher.setAAD(aad);
    decipher.setAuthTag(wrapped.subarray(wrapped.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(wrapped.subarray(NONCE_BYTES, wrapped.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new Error(`data key under key id ${keyId} does not unwrap with its secret (altered, or moved to another stream)`);
    }
  }
}
