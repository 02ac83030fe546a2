import { spawnSync } from "node:child_process";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { connectMaintenance } from "./create-database";
import { createTestDatabase, dropStaleTestDatabases, reserveTestDatabase } from "./testing";

async function databases(prefix: string): Promise<string[]> {
  const admin = await connectMaintenance(reserveTestDatabase().url);
  try {
    const { rows } = await admin.query<{ datname: string }>("SELECT datname FROM pg_database WHERE starts_with(datname, $1)", [prefix]);
    return rows.map((row) => row.datname);
  } finally {
    await admin.end();
  }
}

describe("test databases", () => {
  it("are migrated, unique, and dropped even with open connections", async () => {
    const [a, b] = await Promise.all([createTestDatabase("coop_test_td"), createTestDatabase("coop_test_td")]);
    expect(a!.name).not.toBe(b!.name);
    expect(a!.name).toMatch(new RegExp(`^coop_test_td_${process.pid}_[0-9a-f]{8}$`));
    const client = new pg.Client({ connectionString: a!.url });
    client.on("error", () => {});
    await client.connect();
    expect((await client.query("SELECT count(*)::int AS n FROM _prisma_migrations")).rows[0].n).toBeGreaterThan(0);
    await a!.drop();
    await b!.drop();
    await b!.drop(); // twice is fine
    await client.end().catch(() => {});
    expect(await databases(a!.name)).toEqual([]);
    expect(await databases(b!.name)).toEqual([]);
  });

  it("left behind by a dead process are cleaned up; those of live processes are not", async () => {
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    const deadPid = Number(dead.stdout);
    const stale = `coop_test_stale_${deadPid}_0badf00d`;
    const live = reserveTestDatabase("coop_test_stale");
    const admin = await connectMaintenance(live.url);
    try {
      await admin.query(`CREATE DATABASE ${stale}`);
      await admin.query(`CREATE DATABASE ${live.name}`);
      const dropped = await dropStaleTestDatabases("coop_test_stale");
      expect(dropped).toContain(stale);
      expect(dropped).not.toContain(live.name);
      expect(await databases(stale)).toEqual([]);
      expect(await databases(live.name)).toEqual([live.name]);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${stale}`);
      await admin.end();
      await live.drop();
    }
  });
});
