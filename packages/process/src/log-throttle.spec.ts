import { describe, expect, it } from "vitest";
import { throttledWarn } from "./log-throttle";

describe("throttledWarn", () => {
  it("logs a message the first time, then once per interval with the count left out", () => {
    const lines: [Record<string, unknown>, string][] = [];
    let clock = 0;
    const warn = throttledWarn((fields, message) => lines.push([fields, message]), 1_000, () => clock);
    warn({ err: "a" }, "redis down");
    warn({ err: "b" }, "redis down");
    warn({ err: "c" }, "redis down");
    warn({ err: "x" }, "postgres down");
    clock = 999;
    warn({ err: "d" }, "redis down");
    clock = 1_000;
    warn({ err: "e" }, "redis down");
    clock = 2_500;
    warn({ err: "f" }, "redis down");
    expect(lines).toEqual([
      [{ err: "a" }, "redis down"],
      [{ err: "x" }, "postgres down"],
      [{ err: "e", suppressed: 3 }, "redis down"],
      [{ err: "f" }, "redis down"],
    ]);
  });
});
