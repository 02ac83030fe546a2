import { describe, expect, it } from "vitest";
import { riskTier } from "./risk";

describe("riskTier", () => {
  it.each([
    [0, "LOW"],
    [39, "LOW"],
    [40, "MEDIUM"],
    [69, "MEDIUM"],
    [70, "HIGH"],
    [84, "HIGH"],
    [85, "CRITICAL"],
    [100, "CRITICAL"],
  ] as const)("%i is %s", (score, tier) => {
    expect(riskTier(score)).toBe(tier);
  });
});
