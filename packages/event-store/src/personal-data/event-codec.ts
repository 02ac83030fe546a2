// Where personal data is sealed and opened: the event store seals an event's personal fields
// (the paths its definition declares) just before appending, and opens them wherever events are
// read, before upcasting (each value decrypted when first read, with the key at hand then), so that deciders, projections and the audit trail see plain values and
// know nothing of keys. A stream whose key is gone reads as erased, never as an error; a value
// stored before encryption existed (plaintext) passes through as it is.
import { erasedValue, forEachPersonalValue, mapPersonalData, mapPersonalDataLazily, type LazyOpener } from "@coop/domain";
import type { NewEvent, StreamRef, Upcast } from "../types";
import type { DataKeyEntry, DataKeyStore, StreamKeyRef } from "./data-key-store";
import { streamAad } from "./data-key-store";
import { isSealed, openValue, opensWith, sealedKind, sealValue } from "./field-cipher";
import { hasPlaintext, replacePlaintext, sealedInStore } from "./seal-stored-events";

/** What the codec needs to know of the domain (`personalDataRules` of @coop/domain). */
export interface PersonalDataRules {
  /** The personal fields of an event type's data at a schema version. */
  personalData(eventType: string, schemaVersion?: number): readonly string[];
  /** Whether appending an event of this type forgets the stream's subject (destroys its key). */
  forgetsSubject(eventType: string): boolean;
  upcast: Upcast;
}

/** A stored event as the codec opens it. */
export interface StoredForm {
  tenantId: string;
  streamId: string;
  type: string;
  schemaVersion: number;
  data: unknown;
}

export interface OpenedEvent {
  type: string;
  schemaVersion: number;
  data: unknown;
}

/** A stored event of a stream, as the forgetting append reads it to erase what was never sealed. */
export interface StoredVersion {
  streamVersion: number;
  type: string;
  schemaVersion: number;
  data: unknown;
}

/** A stored event rewritten with its plaintext personal values erased, if it still holds `old`. */
export interface PlaintextErasure {
  streamVersion: number;
  old: unknown;
  data: unknown;
}

/** Events ready to append, and what the append statement must do about the stream's key. */
export interface SealedAppend {
  events: NewEvent[];
  /** A key made for this stream, to be stored in the same statement as the events. */
  newKey: { keyId: string; wrapped: Buffer } | null;
  /** The events forget the stream: the statement destroys its key and deletes its snapshots. */
  forgets: boolean;
  /** To be called once the append committed. */
  committed(): void;
}

/** What a sealed value reads as without its key: the kind it was sealed from tells which. */
function erasedSealed(sealed: string): string | null {
  return sealedKind(sealed) === "s" ? erasedValue("") : null;
}

/**
 * Whether a value is already sealed with this stream's key. Text that merely looks sealed (a
 * person may type anything, `pii1:s...` included) does not open with the key, and is sealed like
 * any other value rather than stored as it is.
 */
function sealedFor(entry: DataKeyEntry | undefined, value: unknown): boolean {
  return !!entry && "key" in entry && opensWith(entry.key, entry.aad, value);
}

/** Opens a stream's sealed values with its key; plaintext of before encryption passes as it is. */
class KeyOpener implements LazyOpener {
  constructor(
    private readonly key: Buffer,
    private readonly aad: Buffer,
  ) {}

  takes(value: unknown): boolean {
    return isSealed(value);
  }

  open(value: unknown): unknown {
    try {
      return openValue(this.key, this.aad, value as string);
    } catch {
      // Not sealed with this stream's key. Text reads as stored: typed before encryption, it only
      // looks sealed (seal-existing seals it); altered, it reveals nothing. Other JSON reads as
      // erased (its plaintext could not have been text). Never thrown.
      return sealedKind(value as string) === "s" ? value : erasedSealed(value as string);
    }
  }
}

/** A forgotten stream: every sealed value reads as erased. */
const ERASING_OPENER: LazyOpener = { takes: isSealed, open: (value) => erasedSealed(value as string) };

/**
 * A stream with no key at all: nothing of it was ever sealed (a key is stored with a stream's
 * first sealed event), so text that looks sealed is plaintext typed before encryption, as it is.
 */
const PLAINTEXT_OPENER: LazyOpener = { takes: () => false, open: (value) => value };

function openerFor(entry: DataKeyEntry | undefined): LazyOpener {
  if (!entry) return PLAINTEXT_OPENER;
  return "key" in entry ? new KeyOpener(entry.key, entry.aad) : ERASING_OPENER;
}

export class EventCodec {
  constructor(
    readonly rules: PersonalDataRules,
    readonly keys: DataKeyStore,
  ) {}

  /**
   * The events with every personal value sealed with the stream's key: the cached one, else the
   * stored one (one query), else a new one for a stream that has none. Events that forget the
   * stream carry no personal value (any they had is written erased), and need no key.
   */
  async seal(stream: StreamRef, expectedVersion: number, events: readonly NewEvent[]): Promise<SealedAppend> {
    const forgets = events.some((e) => this.rules.forgetsSubject(e.type));
    const afterCommit = () => {
      if (forgets) this.keys.forgotten(stream.tenantId, stream.streamId);
    };
    if (!events.some((e) => this.hasPersonalValue(e))) return { events: [...events], newKey: null, forgets, committed: afterCommit };

    let entry: DataKeyEntry | undefined = this.keys.cached(stream.tenantId, stream.streamId);
    if (!entry && expectedVersion > 0 && !forgets) entry = (await this.keys.entries([stream])).get(streamAad(stream.tenantId, stream.streamId));
    let fresh: ReturnType<DataKeyStore["newKey"]> | null = null;
    if (!entry && !forgets) {
      // A new stream, or one written before encryption existed: its key is stored with these events.
      fresh = this.keys.newKey(stream.tenantId, stream.streamId);
      entry = fresh.entry;
    }
    const seal: (value: unknown) => unknown = entry && "key" in entry && !forgets ? (v) => sealValue(entry.key, entry.aad, v) : erasedValue;
    return {
      events: events.map((e) => {
        const paths = this.rules.personalData(e.type, e.schemaVersion);
        return paths.length === 0 ? e : { ...e, data: mapPersonalData(e.data, paths, (v) => (sealedFor(entry, v) ? v : seal(v))) };
      }),
      newKey: fresh ? fresh.row : null,
      forgets,
      committed() {
        fresh?.keep();
        afterCommit();
      },
    };
  }

  /**
   * For a stream being forgotten: its stored events that still hold plaintext personal values
   * (written before encryption, and `data-keys seal-existing` not run since; text that only looks
   * sealed included, told apart by the stream's key while it still exists), with those values
   * erased. The forgetting statement rewrites them, so a forget leaves no plaintext behind either.
   */
  async plaintextErasures(stream: StreamKeyRef, stored: readonly StoredVersion[]): Promise<PlaintextErasure[]> {
    const entry = (await this.keys.entries([stream])).get(streamAad(stream.tenantId, stream.streamId));
    const sealed = (value: unknown) => sealedInStore(entry, value);
    return stored
      .filter((e) => hasPlaintext(this.rules, e.type, e.schemaVersion, e.data, sealed))
      .map((e) => ({ streamVersion: e.streamVersion, old: e.data, data: replacePlaintext(this.rules, e.type, e.schemaVersion, e.data, erasedValue, sealed) }));
  }

  /**
   * Stored events with their personal values opened (or erased when the stream's key is gone),
   * brought to their current shape unless `shape` is "stored" (the audit trail). The keys of the
   * streams involved that are not cached are read in one query for the whole batch.
   */
  async open(events: readonly StoredForm[], shape: "current" | "stored" = "current"): Promise<OpenedEvent[]> {
    // Most events carry no personal field: their paths are looked up once, and they pass straight on.
    const pathsOf = events.map((e) => this.rules.personalData(e.type, e.schemaVersion));
    const needed = new Map<string, StreamKeyRef>();
    const aadOf: (string | null)[] = new Array<string | null>(events.length).fill(null);
    let lastStream: StoredForm | null = null;
    let lastAad = "";
    events.forEach((e, i) => {
      if (pathsOf[i]!.length === 0 || !this.anySealed(e.data, pathsOf[i]!)) return;
      // A stream's events come together: its id is built once per run of them.
      if (lastStream === null || lastStream.streamId !== e.streamId || lastStream.tenantId !== e.tenantId) {
        lastStream = e;
        lastAad = streamAad(e.tenantId, e.streamId);
      }
      aadOf[i] = lastAad;
      if (!needed.has(lastAad)) needed.set(lastAad, { tenantId: e.tenantId, streamId: e.streamId });
    });
    const entries = needed.size > 0 ? await this.keys.entries([...needed.values()]) : new Map<string, DataKeyEntry>();
    const openers = new Map<string, LazyOpener>();
    const openerOf = (aad: string): LazyOpener => {
      let opener = openers.get(aad);
      if (!opener) {
        opener = openerFor(entries.get(aad));
        openers.set(aad, opener);
      }
      return opener;
    };
    return events.map((e, i) => {
      const aad = aadOf[i];
      // Opened on first read: an aggregate that folds a long stream never reads a personal field.
      const data = aad === null || aad === undefined ? e.data : mapPersonalDataLazily(e.data, pathsOf[i]!, openerOf(aad));
      return shape === "current" ? this.rules.upcast({ type: e.type, schemaVersion: e.schemaVersion, data }) : { type: e.type, schemaVersion: e.schemaVersion, data };
    });
  }

  /**
   * The opener of one stream's sealed values: its key from the cache, else read (one query) only
   * when `holdsSealed` says that some of the events at hand need it (see `openerFor`).
   */
  async streamOpener(stream: StreamKeyRef, holdsSealed: () => boolean): Promise<LazyOpener> {
    const entry = this.keys.cached(stream.tenantId, stream.streamId) ?? (holdsSealed() ? (await this.keys.entries([stream])).get(streamAad(stream.tenantId, stream.streamId)) : undefined);
    return openerFor(entry);
  }

  /** Whether a stored event holds a sealed personal value. */
  holdsSealed(type: string, schemaVersion: number, data: unknown): boolean {
    const paths = this.rules.personalData(type, schemaVersion);
    return paths.length > 0 && this.anySealed(data, paths);
  }

  /** One stored event of a stream opened with the stream's opener (values opened on first read) and upcast. */
  openWith(opener: LazyOpener, type: string, schemaVersion: number, data: unknown): OpenedEvent {
    const paths = this.rules.personalData(type, schemaVersion);
    return this.rules.upcast({ type, schemaVersion, data: paths.length === 0 ? data : mapPersonalDataLazily(data, paths, opener) });
  }

  private hasPersonalValue(e: NewEvent): boolean {
    const paths = this.rules.personalData(e.type, e.schemaVersion);
    if (paths.length === 0) return false;
    let found = false;
    forEachPersonalValue(e.data, paths, () => (found = true));
    return found;
  }

  private anySealed(data: unknown, paths: readonly string[]): boolean {
    let found = false;
    forEachPersonalValue(data, paths, (value) => {
      if (isSealed(value)) found = true;
    });
    return found;
  }
}
