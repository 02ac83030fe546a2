// The codec every process uses: the domain's personal data rules, and the family keys of this
// database wrapped by DATA_KEY_SECRET.
import type pg from "pg";
import { personalDataRules } from "@coop/domain";
import { DataKeyStore, type DataKeyStoreOptions } from "./data-key-store";
import { EventCodec } from "./event-codec";
import { KeyWrapper, type KeySecrets } from "./key-wrapper";

export function createPersonalDataCodec(pool: pg.Pool, secrets: KeySecrets, options: DataKeyStoreOptions = {}): EventCodec {
  return new EventCodec(personalDataRules, new DataKeyStore(pool, new KeyWrapper(secrets), options));
}
