import { describe, expect, it } from "vitest";
import { DEVELOPMENT_JWT_SECRET, loadConfig } from "./config";

describe("loadConfig", () => {
  it("gives the contract's defaults", () => {
    expect(loadConfig({})).toMatchObject({
      databaseUrl: "postgresql://postgres@127.0.0.1:5432/coop",
      redisUrl: "redis://127.0.0.1:6379",
      port: 4000,
      workerPort: 4001,
      jwtSecret: DEVELOPMENT_JWT_SECRET,
      jwtSecretIsDefault: true,
      queuePrefix: "coop",
      snapshotEvery: 100,
    });
  });

  it("reads the environment", () => {
    const config = loadConfig({ PORT: "5000", WORKER_PORT: "5001", JWT_SECRET: "s".repeat(32), QUEUE_PREFIX: "stack2", SNAPSHOT_EVERY: "50" });
    expect(config).toMatchObject({ port: 5000, workerPort: 5001, jwtSecret: "s".repeat(32), jwtSecretIsDefault: false, queuePrefix: "stack2", snapshotEvery: 50 });
  });

  it("refuses bad values with a message naming the variable", () => {
    expect(() => loadConfig({ PORT: "http" })).toThrow(/PORT must be a whole number/);
    expect(() => loadConfig({ PORT: "70000" })).toThrow(/PORT/);
    expect(() => loadConfig({ DATABASE_URL: "mysql://x" })).toThrow(/DATABASE_URL must start with postgresql:/);
    expect(() => loadConfig({ REDIS_URL: "not a url" })).toThrow(/REDIS_URL is not a valid URL/);
    expect(() => loadConfig({ QUEUE_PREFIX: "a b" })).toThrow(/QUEUE_PREFIX/);
    expect(() => loadConfig({ JWT_SECRET: "short" })).toThrow(/at least 16/);
  });

  it("requires JWT_SECRET in production", () => {
    expect(() => loadConfig({ NODE_ENV: "production" })).toThrow(/JWT_SECRET is required/);
    expect(loadConfig({ NODE_ENV: "production", JWT_SECRET: "x".repeat(32) }).jwtSecretIsDefault).toBe(false);
  });
});
