import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { withDatabase } from "./config";
import { connectMaintenance, ensureDatabase } from "./create-database";
import { reserveTestDatabase } from "./testing";

const toDrop: string[] = [];
const rolesToDrop: string[] = [];
afterEach(async () => {
  const admin = await connectMaintenance(reserveTestDatabase().url);
  try {
    for (const name of toDrop.splice(0)) await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`);
    // After the databases: a role cannot be dropped while it owns one.
    for (const role of rolesToDrop.splice(0)) await admin.query(`DROP ROLE IF EXISTS ${admin.escapeIdentifier(role)}`);
  } finally {
    await admin.end();
  }
});

async function admin(sql: string): Promise<void> {
  const client = await connectMaintenance(reserveTestDatabase().url);
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A login role of its own (roles are server-wide, so the name is unique to this run). */
async function createRole(): Promise<string> {
  const role = `coop_test_role_${process.pid}_${randomBytes(4).toString("hex")}`;
  rolesToDrop.push(role);
  await admin(`CREATE ROLE ${role} LOGIN`);
  return role;
}

/**
 * A database this test owns that stands in for `postgres` on a host where the app's role may not
 * connect there: CONNECT is revoked from PUBLIC on this database only, never on a shared one.
 */
async function createClosedMaintenanceDatabase(): Promise<string> {
  const { name } = reserveTestDatabase("coop_test_closed");
  toDrop.push(name);
  await admin(`CREATE DATABASE ${name}`);
  await admin(`REVOKE CONNECT ON DATABASE ${name} FROM PUBLIC`);
  return name;
}

function asRole(url: string, role: string): string {
  const next = new URL(url);
  next.username = role;
  next.password = "";
  return next.toString();
}

async function connectError(url: string): Promise<{ code?: string }> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => {});
  const error = await client.connect().then(
    () => ({}),
    (e: unknown) => e as { code?: string },
  );
  await client.end().catch(() => {});
  return error;
}

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

  it("uses an existing database without connecting to any maintenance database", async () => {
    const role = await createRole();
    const closed = await createClosedMaintenanceDatabase();
    const own = reserveTestDatabase("coop_test_ensure");
    toDrop.push(own.name);
    await admin(`CREATE DATABASE ${own.name} OWNER ${role}`);
    const url = asRole(own.url, role);
    // The stand-in really refuses this role, so trying it first would fail the call.
    expect(await connectError(asRole(withDatabase(own.url, closed), role))).toMatchObject({ code: "42501" });

    expect(await ensureDatabase(url, { maintenanceDatabases: [closed] })).toBe(false);
    // With no maintenance database at all it still works: none is opened, `postgres` included.
    expect(await ensureDatabase(url, { maintenanceDatabases: [] })).toBe(false);
  });

  it("creates a missing database from the first maintenance database the role may use, as Prisma does", async () => {
    const role = await createRole();
    await admin(`ALTER ROLE ${role} CREATEDB`);
    const closed = await createClosedMaintenanceDatabase();
    const { name, url } = reserveTestDatabase("coop_test_ensure");
    toDrop.push(name);

    expect(await ensureDatabase(asRole(url, role), { maintenanceDatabases: [closed, "coop_test_no_such_maintenance", "postgres"] })).toBe(true);
    expect(await exists(name)).toBe(true);
  });

  it("says which maintenance databases it tried when none will do", async () => {
    const role = await createRole();
    const closed = await createClosedMaintenanceDatabase();
    const { name, url } = reserveTestDatabase("coop_test_ensure");
    toDrop.push(name);

    const error = await ensureDatabase(asRole(url, role), { maintenanceDatabases: [closed, "coop_test_no_such_maintenance"] }).catch((e: unknown) => e);
    expect((error as Error).message).toContain(`${closed}: permission denied for database "${closed}"`);
    expect((error as Error).message).toContain('coop_test_no_such_maintenance: database "coop_test_no_such_maintenance" does not exist');
    expect(await exists(name)).toBe(false);
  });
});
