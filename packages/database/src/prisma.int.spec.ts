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
  it("reads and writes the migrated tables through the pg adapter", async () => {
    const prisma = createPrismaClient(db.url, { max: 2 });
    try {
      await prisma.projection.create({ data: { name: "family-detail", position: 9007199254740993n } });
      const row = await prisma.projection.findUniqueOrThrow({ where: { name: "family-detail" } });
      expect(row.status).toBe(ProjectionState.RUNNING);
      expect(row.position).toBe(9007199254740993n);
      expect(await prisma.event.count()).toBe(0);
    } finally {
      await prisma.$disconnect();
    }
  });
});
