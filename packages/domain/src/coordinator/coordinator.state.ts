/**
 * What the Coordinator's decisions need. Plain JSON data, stored as a snapshot: bump
 * coordinatorAggregate.stateSchemaVersion when its shape changes.
 */
export interface CoordinatorState {
  registered: boolean;
  caseloadLimit: number;
}

export function initialCoordinatorState(): CoordinatorState {
  return { registered: false, caseloadLimit: 0 };
}

/** Whether a stored state (a snapshot) has the shape this code expects. */
export function isValidCoordinatorState(value: unknown): value is CoordinatorState {
  if (typeof value !== "object" || value === null) return false;
  const s = value as Record<string, unknown>;
  const limit = s.caseloadLimit;
  if (typeof s.registered !== "boolean" || typeof limit !== "number" || !Number.isSafeInteger(limit)) return false;
  return s.registered ? limit >= 1 : limit === 0;
}
