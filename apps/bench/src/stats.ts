/** Latency and rate figures, computed the same way for every workload. */
export interface LatencyFigures {
  perSec: number;
  p50Ms: number;
  p99Ms: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function latencyFigures(latenciesMs: number[], elapsedMs: number, operations = latenciesMs.length): LatencyFigures {
  const sorted = Float64Array.from(latenciesMs).sort();
  return {
    perSec: round((operations / elapsedMs) * 1000),
    p50Ms: round(percentile(Array.from(sorted), 50), 3),
    p99Ms: round(percentile(Array.from(sorted), 99), 3),
  };
}

export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** `amount` per 1,000 of `count` (CPU ms per 1,000 commands), to 0.1; NaN (null in JSON) for no count. */
export function perThousand(amount: number, count: number): number {
  return count > 0 ? round((amount * 1000) / count, 1) : Number.NaN;
}

/** The median of each numeric key over several runs of the same workload. */
export function medianOfRuns<T extends Record<string, number>>(runs: T[]): T {
  const keys = Object.keys(runs[0] ?? {}) as (keyof T)[];
  const out = {} as T;
  for (const key of keys) out[key] = round(median(runs.map((r) => r[key] as number)), 3) as T[keyof T];
  return out;
}

/** Runs `count` operations with `inFlight` of them at a time; returns each one's latency. */
export async function runConcurrent(
  count: number,
  inFlight: number,
  operation: (index: number) => Promise<void>,
): Promise<{ latenciesMs: number[]; elapsedMs: number }> {
  const latenciesMs = new Array<number>(count);
  let next = 0;
  const started = performance.now();
  async function lane() {
    for (;;) {
      const index = next++;
      if (index >= count) return;
      const t0 = performance.now();
      await operation(index);
      latenciesMs[index] = performance.now() - t0;
    }
  }
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, lane));
  return { latenciesMs, elapsedMs: performance.now() - started };
}

/** The median duration of `task` over `repeats` runs, after a few to warm caches and the JIT. */
export async function timeMsOf(repeats: number, task: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 3; i++) await task();
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await task();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}
