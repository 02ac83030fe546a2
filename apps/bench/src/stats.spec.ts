import { describe, expect, it } from "vitest";
import { latencyFigures, median, medianOfRuns, percentile, perThousand, runConcurrent } from "./stats";

describe("stats", () => {
  it("takes percentiles by nearest rank and medians of odd and even counts", () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it("computes rate and latency figures and the median of runs per key", () => {
    expect(latencyFigures([1, 2, 3, 4], 2000)).toEqual({ perSec: 2, p50Ms: 2, p99Ms: 4 });
    expect(medianOfRuns([{ a: 1, b: 10 }, { a: 3, b: 30 }, { a: 2, b: 20 }])).toEqual({ a: 2, b: 20 });
  });

  it("scales an amount to 1,000 of a count, and has no figure for none", () => {
    expect(perThousand(2_530, 10_000)).toBe(253);
    expect(perThousand(1, 3)).toBe(333.3);
    expect(perThousand(50, 0)).toBeNaN();
  });

  it("keeps at most the given number of operations in flight and runs each once", async () => {
    let inFlight = 0;
    let most = 0;
    const seen: number[] = [];
    const { latenciesMs } = await runConcurrent(50, 4, async (i) => {
      inFlight++;
      most = Math.max(most, inFlight);
      seen.push(i);
      await new Promise((r) => setTimeout(r, 1));
      inFlight--;
    });
    expect(most).toBe(4);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(latenciesMs.every((l) => l > 0)).toBe(true);
  });
});
