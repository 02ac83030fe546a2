import { describe, expect, it } from "vitest";
import { loadWorkerConfig } from "./config";

const base = { NODE_ENV: "test" };

describe("WORKER_PROJECTIONS and WORKER_PUBLISHER", () => {
  it("unset: every projection, and the publisher", () => {
    const config = loadWorkerConfig(base);
    expect(config.projectionNames).toBeNull();
    expect(config.publisher).toBe(true);
  });

  it("a list of names, or none for a process that only publishes", () => {
    expect(loadWorkerConfig({ ...base, WORKER_PROJECTIONS: " family-detail, at-risk " }).projectionNames).toEqual(["family-detail", "at-risk"]);
    expect(loadWorkerConfig({ ...base, WORKER_PROJECTIONS: "none" }).projectionNames).toEqual([]);
  });

  it("refuses what is not a projection name, a bad switch, and a process with nothing to do", () => {
    expect(() => loadWorkerConfig({ ...base, WORKER_PROJECTIONS: "Family Detail" })).toThrow(/WORKER_PROJECTIONS holds "Family Detail"/);
    expect(() => loadWorkerConfig({ ...base, WORKER_PUBLISHER: "maybe" })).toThrow(/WORKER_PUBLISHER must be on or off/);
    expect(() => loadWorkerConfig({ ...base, WORKER_PROJECTIONS: "none", WORKER_PUBLISHER: "off" })).toThrow(/nothing to do/);
  });

  it("WORKER_DB_POOL: unset for the default, else 4 to 200", () => {
    expect(loadWorkerConfig(base).poolSize).toBeNull();
    expect(loadWorkerConfig({ ...base, WORKER_DB_POOL: "10" }).poolSize).toBe(10);
    expect(() => loadWorkerConfig({ ...base, WORKER_DB_POOL: "2" })).toThrow(/WORKER_DB_POOL/);
  });
});
