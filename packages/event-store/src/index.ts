export { EventStore, type EventStoreOptions } from "./event-store";
export { CommandStore } from "./command-store";
export { START } from "./types";
export type {
  AppendResult,
  Checkpoint,
  CommandReceipt,
  CommandRecord,
  NewEvent,
  RecordedEvent,
  Snapshot,
  StoredReceipt,
  StreamLoad,
  StreamRef,
  Upcast,
} from "./types";
export { compareCheckpoints } from "./checkpoint";
