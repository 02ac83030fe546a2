// Reaching the personal fields of an event's data by the paths its definition declares
// (`familyName`, `guardians[].name`): pure copy-on-write helpers for whoever encrypts, decrypts or
// erases them. The domain never sees anything but plain values.
import type { PersonalDataPath } from "./aggregate";

/** What a personal text reads as once its family's key is gone (CONTRACT section 8). */
export const ERASED = "(erased)";

/** An erased personal value: `(erased)` where the value was text, null where it was anything else. */
export function erasedValue(value: unknown): string | null {
  return typeof value === "string" ? ERASED : null;
}

type Segment = { key: string; each: boolean };

const compiled = new Map<string, Segment[]>();

function segmentsOf(path: PersonalDataPath): Segment[] {
  let segments = compiled.get(path);
  if (!segments) {
    segments = path.split(".").map((part) => (part.endsWith("[]") ? { key: part.slice(0, -2), each: true } : { key: part, each: false }));
    if (segments.some((s) => s.key === "")) throw new Error(`personal data path "${path}" has an empty name`);
    compiled.set(path, segments);
  }
  return segments;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** Replaces the values under `segments`, copying only the objects and arrays on the way. */
function mapAt(value: unknown, segments: readonly Segment[], at: number, replace: (value: unknown) => unknown): unknown {
  if (!isRecord(value)) return value; // the path does not exist in this data: nothing personal here
  const { key, each } = segments[at]!;
  if (!Object.hasOwn(value, key)) return value;
  const inner = value[key];
  const last = at === segments.length - 1;
  let next: unknown;
  if (each) {
    if (!Array.isArray(inner)) return value;
    let changed = false;
    const items = inner.map((item: unknown) => {
      const mapped = last ? mapLeaf(item, replace) : mapAt(item, segments, at + 1, replace);
      if (mapped !== item) changed = true;
      return mapped;
    });
    next = changed ? items : inner;
  } else {
    next = last ? mapLeaf(inner, replace) : mapAt(inner, segments, at + 1, replace);
  }
  return next === inner ? value : { ...value, [key]: next };
}

function mapLeaf(value: unknown, replace: (value: unknown) => unknown): unknown {
  // Absent and null hold nothing personal (a phone not given): they stay as they are.
  return value === null || value === undefined ? value : replace(value);
}

/**
 * `data` with every value found at `paths` replaced by `replace(value)`; values that are null or
 * missing are left alone. Never mutates `data`: what changes is copied, the rest shared (so data
 * without personal values comes back as the same object).
 */
export function mapPersonalData(data: unknown, paths: readonly PersonalDataPath[], replace: (value: unknown) => unknown): unknown {
  let result = data;
  for (const path of paths) result = mapAt(result, segmentsOf(path), 0, replace);
  return result;
}

/** Calls `visit` with every non-null value found at `paths` (for scans: is anything still plaintext?). */
export function forEachPersonalValue(data: unknown, paths: readonly PersonalDataPath[], visit: (value: unknown) => void): void {
  for (const path of paths) {
    mapAt(data, segmentsOf(path), 0, (value) => {
      visit(value);
      return value;
    });
  }
}

/** How `mapPersonalDataLazily` opens stored values: which it takes, and how one reads once opened. */
export interface LazyOpener {
  /** Whether this stored value is to be opened on first read (any other stays as it is). */
  takes(value: unknown): boolean;
  open(value: unknown): unknown;
}

/**
 * Like `mapPersonalData`, but each value the opener takes is replaced by a property that opens it
 * on first read (once): a consumer that never reads a personal field (an aggregate folding its
 * state) never pays for it. Values inside arrays are opened at once.
 */
export function mapPersonalDataLazily(data: unknown, paths: readonly PersonalDataPath[], opener: LazyOpener): unknown {
  // The copies this call made (ours to change): a short list, reused from call to call (the call
  // is synchronous), cheaper than a WeakSet or a fresh array per event.
  const fresh = FRESH;
  fresh.length = 0;
  let result = data;
  for (const path of paths) result = lazyAt(result, segmentsOf(path), 0, opener, fresh);
  fresh.length = 0;
  return result;
}

const FRESH: object[] = [];

function ownCopy<T extends object>(value: T, fresh: object[]): T {
  if (fresh.includes(value)) return value;
  const copy = (Array.isArray(value) ? [...value] : { ...value }) as T;
  fresh.push(copy);
  return copy;
}

// Where an object keeps a lazy value: a hidden property of its own (a symbol per field name) and
// one getter and setter per field name shared by every object. V8 keeps accessor functions in an
// object's hidden class, so a getter closure per object would give each object a class of its own
// (12 µs each, and the garbage collector's time on top); shared accessors keep one class per shape.
// A value waiting to be opened is one small object (its opener and stored form), not a closure: a
// replay keeps ten thousand of them alive at once, and every object fewer is less for the young
// generation to copy.
class LazyValue {
  opened = false;
  constructor(
    readonly opener: LazyOpener,
    public value: unknown,
  ) {}
}
type WithSlots = Record<string | symbol, unknown>;
const accessors = new Map<string, { slot: symbol; descriptor: PropertyDescriptor }>();

function accessorFor(key: string): { slot: symbol; descriptor: PropertyDescriptor } {
  let accessor = accessors.get(key);
  if (!accessor) {
    const slot = Symbol(`lazy ${key}`);
    accessor = {
      slot,
      descriptor: {
        enumerable: true,
        configurable: true,
        get(this: WithSlots) {
          const lazy = this[slot] as LazyValue;
          if (!lazy.opened) {
            lazy.value = lazy.opener.open(lazy.value);
            lazy.opened = true;
          }
          return lazy.value;
        },
        set(this: WithSlots, value: unknown) {
          Object.defineProperty(this, key, { value, writable: true, enumerable: true, configurable: true });
        },
      },
    };
    accessors.set(key, accessor);
  }
  return accessor;
}

/**
 * A copy of `value` whose `key` is opened on first read, built property by property in the
 * original order (turning a data property into an accessor would make the object a slow one).
 */
function withLazy(value: Record<string, unknown>, key: string, lazy: LazyValue, fresh: object[]): Record<string, unknown> {
  const { slot, descriptor } = accessorFor(key);
  let target = value as WithSlots;
  if (fresh.includes(value)) Object.defineProperty(target, key, descriptor);
  else {
    target = {};
    for (const k of Object.keys(value)) {
      if (k === key) Object.defineProperty(target, k, descriptor);
      else target[k] = value[k];
    }
    fresh.push(target);
  }
  Object.defineProperty(target, slot, { value: lazy, enumerable: false, writable: true, configurable: true });
  return target as Record<string, unknown>;
}

function lazyAt(value: unknown, segments: readonly Segment[], at: number, opener: LazyOpener, fresh: object[]): unknown {
  if (!isRecord(value)) return value;
  const { key, each } = segments[at]!;
  if (!Object.hasOwn(value, key)) return value;
  const last = at === segments.length - 1;
  if (last && !each) {
    const inner = value[key];
    if (inner === null || inner === undefined || !opener.takes(inner)) return value;
    return withLazy(value, key, new LazyValue(opener, inner), fresh);
  }
  const inner = value[key];
  let next: unknown = inner;
  if (each) {
    if (!Array.isArray(inner)) return value;
    let items: unknown[] = inner;
    for (let i = 0; i < inner.length; i++) {
      const item: unknown = inner[i];
      let mapped: unknown = item;
      if (!last) mapped = lazyAt(item, segments, at + 1, opener, fresh);
      else if (item !== null && item !== undefined && opener.takes(item)) mapped = opener.open(item);
      if (mapped !== item) {
        if (items === inner) items = ownCopy(inner, fresh);
        items[i] = mapped;
      }
    }
    next = items;
  } else {
    next = lazyAt(inner, segments, at + 1, opener, fresh);
  }
  if (next === inner) return value;
  const target = ownCopy(value, fresh);
  target[key] = next;
  return target;
}
