export { EventStore, STREAM_HASH_SQL, type EventStoreOptions, type ReadOptions } from "./event-store";
export { CommandStore } from "./command-store";
export { EVENT_STORE_TABLES } from "./tables";
export { START } from "./types";
export type {
  AppendResult,
  Checkpoint,
  Claim,
  CommandReceipt,
  CommandRecord,
  NewEvent,
  RecordedEvent,
  Snapshot,
  StoredReceipt,
  StreamEvent,
  StreamLoad,
  StreamRef,
  Upcast,
} from "./types";
export { compareCheckpoints } from "./checkpoint";
export { EventCodec, type PersonalDataRules, type SealedAppend, type StoredForm, type OpenedEvent } from "./personal-data/event-codec";
export { DataKeyStore, streamAad, type DataKeyEntry, type DataKeyStoreOptions, type StreamKeyRef } from "./personal-data/data-key-store";
export { KeyWrapper, type KeySecrets } from "./personal-data/key-wrapper";
export { isSealed } from "./personal-data/field-cipher";
export { createPersonalDataCodec } from "./personal-data/personal-data-codec";
export { sealStoredPersonalData, type SealStoredOptions, type SealStoredResult } from "./personal-data/seal-stored-events";
