import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient, ProjectionState } from "./prisma";
import { createTestDatabase, type TestDatabase } from "./testing";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase("coop_test_prisma");
});
afterAll(async () => {
  await db.drop();
});

describe("createPrismaClient", () => {
  it("applies the session guards to its connections", async () => {
    const prisma = createPrismaClient(db.url, { max: 1, guards: { statementTimeoutMs: 1_234, lockTimeoutMs: 567, idleInTransactionMs: 8_900 } });
    try {
      const rows = await prisma.$queryRawUnsafe<{ s: string; l: string; i: string; k: string }[]>(
        "SELECT current_setting('statement_timeout') AS s, current_setting('lock_timeout') AS l, current_setting('idle_in_transaction_session_timeout') AS i, current_setting('tcp_keepalives_idle') AS k",
      );
      expect(rows[0]).toEqual({ s: "1234ms", l: "567ms", i: "8900ms", k: "5" });
    } finally {
      await prisma.$disconnect();
    }
  });

  it("reads and writes the migrated tables through the pg adapter", async () => {
    const prisma = createPrismaClient(db.url, { max: 2 });
    try {
      await prisma.projection.create({ data: { name: "family-detail" } });
      await prisma.projectionLane.create({ data: { projection: "family-detail", lane: 0, position: 9007199254740993n } });
      const row = await prisma.projection.findUniqueOrThrow({ where: { name: "family-detail" } });
      expect(row.status).toBe(ProjectionState.RUNNING);
      const lane = await prisma.projectionLane.findUniqueOrThrow({ where: { projection_lane: { projection: "family-detail", lane: 0 } } });
      expect(lane.position).toBe(9007199254740993n);
      expect(await prisma.event.count()).toBe(0);
    } finally {
      await prisma.$disconnect();
    }
  });
});
