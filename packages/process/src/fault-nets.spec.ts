import { describe, expect, it } from "vitest";
import { installFaultNets } from "./fault-nets";

describe("installFaultNets", () => {
  it("logs an unexpected error and keeps running; a storm of them ends the process", () => {
    const logged: string[] = [];
    const exits: number[] = [];
    const remove = installFaultNets(
      { error: (fields, message) => logged.push(`${message}: ${String(fields.err)}`), fatal: (message) => logged.push(`FATAL ${message}`) },
      { maxPerMinute: 3, exit: (code) => exits.push(code) },
    );
    try {
      process.emit("uncaughtException", new Error("Connection terminated unexpectedly"));
      expect(logged).toEqual(["uncaught exception: kept running: Connection terminated unexpectedly"]);
      expect(exits).toEqual([]);
      for (let i = 0; i < 3; i++) process.emit("uncaughtException", new Error(`again ${i}`));
      expect(exits).toEqual([1]);
      expect(logged.at(-1)).toMatch(/^FATAL more than 3 unexpected errors in a minute/);
    } finally {
      remove();
    }
  });
});
