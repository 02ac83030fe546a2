import { describe, expect, it } from "vitest";
import { lagChart } from "./chart";

describe("lagChart", () => {
  it("draws a dot per sample and the per-second p50 and p99 lines", () => {
    const series: [number, number][] = [[0.1, 5], [0.5, 7], [1.2, 9], [1.9, 30]];
    const svg = lagChart(series, "t");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.match(/<circle /g)).toHaveLength(4);
    expect(svg.match(/<path d="M[^"]*L/g)).toHaveLength(2); // two seconds, so each line has a segment
  });
});
