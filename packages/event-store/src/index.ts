export { EventStore, STREAM_HASH_SQL, type EventStoreOptions } from "./event-store";
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
