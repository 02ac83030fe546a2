export type FamilyStatus = "None" | "Enrolled" | "Withdrawn" | "Forgotten";
const STATUSES: ReadonlySet<string> = new Set<FamilyStatus>(["None", "Enrolled", "Withdrawn", "Forgotten"]);

/**
 * What decide needs, and nothing personal (CONTRACT section 8): snapshots of it are stored as they
 * are (JSONB). Changing its shape, TRANSACTION_ID_BUCKETS or the bucket hash requires bumping
 * familyAggregate.stateSchemaVersion so that old snapshots are ignored.
 */
export interface FamilyState {
  status: FamilyStatus;
  familyId: string | null;
  engagementScore: number;
  riskScore: number;
  coordinator: string | null;
  childrenCount: number;
  paymentCount: number;
  /**
   * Recorded transaction ids, spread over TRANSACTION_ID_BUCKETS buckets by a string hash.
   * Recording one copies the outer array and one bucket only, so folding N payments stays
   * near-linear instead of copying the whole history on every event.
   */
  paymentTransactionIds: string[][];
}

export const TRANSACTION_ID_BUCKETS = 64; // a power of two: the bucket is a bit mask of the hash

export function initialFamilyState(): FamilyState {
  return {
    status: "None",
    familyId: null,
    engagementScore: 0,
    riskScore: 0,
    coordinator: null,
    childrenCount: 0,
    paymentCount: 0,
    paymentTransactionIds: Array.from({ length: TRANSACTION_ID_BUCKETS }, () => []),
  };
}

/**
 * A shallow copy written out field by field: on Node 20, `{ ...state }` costs ~30x more,
 * which shows when folding thousands of events. Leaving out a field fails to compile.
 */
export function copyFamilyState(s: FamilyState): FamilyState {
  return {
    status: s.status,
    familyId: s.familyId,
    engagementScore: s.engagementScore,
    riskScore: s.riskScore,
    coordinator: s.coordinator,
    childrenCount: s.childrenCount,
    paymentCount: s.paymentCount,
    paymentTransactionIds: s.paymentTransactionIds,
  };
}

/** FNV-1a (32-bit) over UTF-16 units: cheap, stable across releases, spreads similar ids well. */
export function transactionIdBucket(transactionId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < transactionId.length; i++) {
    hash ^= transactionId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) & (TRANSACTION_ID_BUCKETS - 1);
}

export function hasTransactionId(state: FamilyState, transactionId: string): boolean {
  return state.paymentTransactionIds[transactionIdBucket(transactionId)]?.includes(transactionId) ?? false;
}

/** New buckets with `transactionId` added; the input buckets are left untouched. */
export function withTransactionId(buckets: readonly string[][], transactionId: string): string[][] {
  const index = transactionIdBucket(transactionId);
  const next = buckets.slice();
  const bucket = next[index] ?? [];
  const grown = bucket.slice();
  grown.push(transactionId);
  next[index] = grown;
  return next;
}

const isCount = (value: unknown): value is number => typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
const isScore = (value: unknown): value is number => isCount(value) && value <= 100;

/**
 * Whether a stored state (a snapshot) can be trusted: the right shape, and payments that add up
 * (every recorded transaction id in its own bucket, one per payment). A snapshot that fails this is
 * dropped and the stream replayed, so a damaged one cannot let a duplicate transaction through.
 */
export function isValidFamilyState(value: unknown): value is FamilyState {
  if (typeof value !== "object" || value === null) return false;
  const s = value as Record<string, unknown>;
  if (typeof s.status !== "string" || !STATUSES.has(s.status)) return false;
  if (s.status === "None" ? s.familyId !== null : typeof s.familyId !== "string") return false;
  if (!isScore(s.engagementScore) || !isScore(s.riskScore) || !isCount(s.childrenCount) || !isCount(s.paymentCount)) return false;
  if (s.coordinator !== null && typeof s.coordinator !== "string") return false;
  const buckets = s.paymentTransactionIds;
  if (!Array.isArray(buckets) || buckets.length !== TRANSACTION_ID_BUCKETS) return false;
  let recorded = 0;
  for (let i = 0; i < buckets.length; i++) {
    const bucket: unknown = buckets[i];
    if (!Array.isArray(bucket)) return false;
    for (const id of bucket) if (typeof id !== "string" || transactionIdBucket(id) !== i) return false;
    recorded += bucket.length;
  }
  return recorded === s.paymentCount;
}
