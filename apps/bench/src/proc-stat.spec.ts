import { describe, expect, it } from "vitest";
import { parseProcStat, processTreeTicks, type ProcStat } from "./proc-stat";

// A real line (a node process): pid, (comm), state, ppid, ... utime=1520 stime=233 cutime=7 cstime=2.
const NODE_LINE =
  "10123 (node) S 10106 10103 8462 0 -1 4194560 21813 0 0 0 1520 233 7 2 20 0 11 0 34581 1137000448 17421 18446744073709551615 1 1 0 0 0 0 0 4096 134234626 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0";

describe("parseProcStat", () => {
  it("reads pid, parent, own and reaped children's ticks", () => {
    expect(parseProcStat(NODE_LINE)).toEqual({ pid: 10123, ppid: 10106, ownTicks: 1753, reapedChildTicks: 9 });
  });

  it("counts fields from the last parenthesis, whatever the command name holds", () => {
    const line = NODE_LINE.replace("(node)", "(we (ird) name) S)");
    expect(parseProcStat(line)).toEqual({ pid: 10123, ppid: 10106, ownTicks: 1753, reapedChildTicks: 9 });
  });

  it("refuses what is not a stat line", () => {
    expect(() => parseProcStat("")).toThrow(/not a \/proc/);
    expect(() => parseProcStat("12 (x) S 1 2 3")).toThrow(/not a \/proc/);
  });
});

describe("processTreeTicks", () => {
  const stat = (pid: number, ppid: number, ownTicks: number, reapedChildTicks = 0): ProcStat => ({ pid, ppid, ownTicks, reapedChildTicks });
  const stats = [
    stat(1, 0, 1000),
    stat(100, 1, 5, 40), // e.g. tsx's launcher, which once reaped a child that used 40
    stat(101, 100, 300), // the app itself
    stat(102, 101, 20), // a child of the app
    stat(200, 1, 999), // a stranger
  ];

  it("sums the process and all its descendants, reaped children included", () => {
    expect(processTreeTicks(100, stats)).toBe(5 + 40 + 300 + 20);
    expect(processTreeTicks(101, stats)).toBe(320);
    expect(processTreeTicks(200, stats)).toBe(999);
  });

  it("is null for a process that is gone", () => {
    expect(processTreeTicks(4242, stats)).toBeNull();
  });
});
