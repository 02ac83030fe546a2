import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool } from "@coop/database";
import { createTestDatabase, type TestDatabase } from "@coop/database/testing";
import { createLogger } from "../logger";
import { atRiskProjection } from "../projections/at-risk.projection";
import { TableAnalyzer } from "./table-analyzer";

let db: TestDatabase;
let pool: ReturnType<typeof createPool>;
beforeAll(async () => {
  db = await createTestDatabase("coop_test_analyze");
  pool = createPool(db.url, { max: 2, onError: () => undefined });
});
afterAll(async () => {
  await pool.end();
  await db.drop();
});

const analyzedAt = async () =>
  (await pool.query<{ at: Date | null }>("SELECT last_analyze AS at FROM pg_stat_user_tables WHERE relname = 'at_risk_families'")).rows[0]?.at ?? null;

describe("TableAnalyzer", () => {
  it("analyzes a projection's tables once it has applied enough events, and not before", async () => {
    const analyzer = new TableAnalyzer(pool, createLogger("silent"), 100);
    analyzer.applied(atRiskProjection, 60);
    await analyzer.idle();
    expect(await analyzedAt()).toBeNull();
    analyzer.applied(atRiskProjection, 60);
    await analyzer.idle();
    // The statistics collector reports asynchronously: poll briefly.
    let at: Date | null = null;
    for (let i = 0; i < 50 && !at; i++) {
      at = await analyzedAt();
      if (!at) await new Promise((r) => setTimeout(r, 100));
    }
    expect(at).not.toBeNull();
  });
});
