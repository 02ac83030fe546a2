import { afterEach, describe, expect, it } from "vitest";
import { withDatabase } from "./config";
import { connectMaintenance, ensureDatabase } from "./create-database";
import { reserveTestDatabase } from "./testing";

const toDrop: string[] = [];
afterEach(async () => {
  const admin = await connectMaintenance(reserveTestDatabase().url);
  try {
    for (const name of toDrop.splice(0)) await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
});

async function exists(name: string): Promise<boolean> {
  const admin = await connectMaintenance(reserveTestDatabase().url);
  try {
    return ((await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])).rowCount ?? 0) > 0;
  } finally {
    await admin.end();
  }
}

describe("ensureDatabase", () => {
  it("creates a missing database once, then leaves it alone", async () => {
    const { name, url } = reserveTestDatabase("coop_test_ensure");
    toDrop.push(name);
    expect(await ensureDatabase(url)).toBe(true);
    expect(await ensureDatabase(url)).toBe(false);
    expect(await exists(name)).toBe(true);
  });

  it("survives many processes creating the same database at once", async () => {
    const { name, url } = reserveTestDatabase("coop_test_ensure");
    toDrop.push(name);
    const created = await Promise.all(Array.from({ length: 8 }, () => ensureDatabase(url)));
    expect(created.filter(Boolean).length).toBeLessThanOrEqual(1);
    expect(await exists(name)).toBe(true);
  });

  it("quotes the name: mixed case, dashes and quotes are taken literally", async () => {
    const { name: base, url } = reserveTestDatabase("coop_test_ensure");
    const name = `${base}_Odd-"Name"; x`;
    toDrop.push(name);
    expect(await ensureDatabase(withDatabase(url, name))).toBe(true);
    expect(await exists(name)).toBe(true);
  });
});
