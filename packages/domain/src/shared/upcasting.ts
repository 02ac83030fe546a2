/** An event as read from storage, in whatever schema version it was written. */
export interface StoredEventShape {
  type: string;
  schemaVersion: number;
  data: unknown;
}

/** Turns the data of schema version N into the data of version N + 1. */
export type UpcastStep = (data: unknown) => unknown;

/** Steps per event type, keyed by the version they upgrade from (N in N -> N + 1). */
export type UpcastSteps<E extends { type: string }> = Partial<Record<E["type"], Readonly<Record<number, UpcastStep>>>>;

export interface UpcasterRegistry<E extends { type: string; data: unknown }> {
  readonly currentVersions: Readonly<Record<E["type"], number>>;
  /**
   * The current-shape event with the schema version it now has; throws on an unknown type or a
   * version it cannot bring up to date.
   */
  upcast(stored: StoredEventShape): E & { schemaVersion: number };
}

interface TypeEntry {
  current: number;
  steps: ReadonlyMap<number, UpcastStep>;
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 1;
}

/**
 * Builds an upcaster from the current version of every event type and the N -> N + 1 steps
 * that lead there. Steps are chained, so each schema change adds one step and never
 * rewrites older ones. Anything it cannot handle throws: a silently mis-shaped event would
 * corrupt state and read models far from the cause.
 */
export function createUpcasterRegistry<E extends { type: string; data: unknown }>(
  currentVersions: Readonly<Record<E["type"], number>>,
  steps: UpcastSteps<E> = {},
): UpcasterRegistry<E> {
  // A Map keyed by type, so that names like "constructor" cannot hit Object.prototype.
  const entries = new Map<string, TypeEntry>();
  for (const [type, current] of Object.entries<number>(currentVersions)) {
    if (!isPositiveInteger(current)) {
      throw new Error(`Upcaster registry: current schema version of "${type}" must be a positive integer, got ${String(current)}`);
    }
    entries.set(type, { current, steps: new Map() });
  }
  for (const [type, byVersion] of Object.entries<Readonly<Record<number, UpcastStep>> | undefined>(steps)) {
    const entry = entries.get(type);
    if (entry === undefined) throw new Error(`Upcaster registry: steps given for unknown event type "${type}"`);
    const map = entry.steps as Map<number, UpcastStep>;
    for (const [key, step] of Object.entries(byVersion ?? {})) {
      const from = Number(key);
      if (!isPositiveInteger(from) || from >= entry.current) {
        throw new Error(
          `Upcaster registry: "${type}" step from version ${key} is outside 1..${entry.current - 1} (current is ${entry.current})`,
        );
      }
      map.set(from, step);
    }
  }

  function upcast(stored: StoredEventShape): E & { schemaVersion: number } {
    const { type, schemaVersion } = stored;
    const entry = entries.get(type);
    if (entry === undefined) throw new Error(`Cannot upcast event: unknown event type "${type}"`);
    // Hot path (every event read): a current event passes through untouched.
    if (schemaVersion === entry.current) return { type, data: stored.data, schemaVersion } as E & { schemaVersion: number };
    if (!isPositiveInteger(schemaVersion)) {
      throw new Error(`Cannot upcast "${type}": schema version must be a positive integer, got ${String(schemaVersion)}`);
    }
    if (schemaVersion > entry.current) {
      throw new Error(
        `Cannot upcast "${type}" of schema version ${schemaVersion}: newer than the supported version ${entry.current}`,
      );
    }
    let data = stored.data;
    for (let version = schemaVersion; version < entry.current; version++) {
      const step = entry.steps.get(version);
      if (step === undefined) {
        throw new Error(`Cannot upcast "${type}" from schema version ${version} to ${version + 1}: no upcaster registered`);
      }
      data = step(data);
    }
    return { type, data, schemaVersion: entry.current } as E & { schemaVersion: number };
  }

  return { currentVersions, upcast };
}
