import { describe, expect, it } from "vitest";
import { DEFAULT_MIGRATE_LOCK_TIMEOUT_MS, migrateLockTimeoutMs } from "./config";

describe("MIGRATE_LOCK_TIMEOUT_MS", () => {
  it("defaults to 5 s, and takes whole milliseconds, 0 meaning no limit", () => {
    expect(DEFAULT_MIGRATE_LOCK_TIMEOUT_MS).toBe(5000);
    expect(migrateLockTimeoutMs({})).toBe(5000);
    expect(migrateLockTimeoutMs({ MIGRATE_LOCK_TIMEOUT_MS: " " })).toBe(5000);
    expect(migrateLockTimeoutMs({ MIGRATE_LOCK_TIMEOUT_MS: "250" })).toBe(250);
    expect(migrateLockTimeoutMs({ MIGRATE_LOCK_TIMEOUT_MS: "0" })).toBe(0);
  });

  it.each(["5s", "-1", "1.5", "2147483648"])("refuses %j, naming the variable", (value) => {
    expect(() => migrateLockTimeoutMs({ MIGRATE_LOCK_TIMEOUT_MS: value })).toThrow(`MIGRATE_LOCK_TIMEOUT_MS must be a whole number of milliseconds`);
  });
});
