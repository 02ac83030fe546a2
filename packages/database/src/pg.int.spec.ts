import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool } from "./pg";
import { createTestDatabase, type TestDatabase } from "./testing";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase("coop_test_pg", { migrate: false });
});
afterAll(async () => {
  await db.drop();
});

describe("createPool", () => {
  it("returns BIGINT as a string and DATE as the raw 'YYYY-MM-DD' text", async () => {
    const pool = createPool(db.url);
    try {
      const { rows } = await pool.query(
        "SELECT 9007199254740993::bigint AS big, '2024-02-29'::date AS day, ARRAY['2024-01-01'::date] AS days",
      );
      expect(rows[0]).toEqual({ big: "9007199254740993", day: "2024-02-29", days: ["2024-01-01"] });
    } finally {
      await pool.end();
    }
  });

  it("applies session settings to every connection, and refuses a malformed one", async () => {
    const pool = createPool(db.url, { max: 2, settings: { gin_pending_list_limit: 64, statement_timeout: "5s" } });
    try {
      const clients = await Promise.all([pool.connect(), pool.connect()]);
      for (const client of clients) {
        const { rows } = await client.query("SELECT current_setting('gin_pending_list_limit') AS gin, current_setting('statement_timeout') AS timeout");
        expect(rows[0]).toEqual({ gin: "64kB", timeout: "5s" });
        client.release();
      }
    } finally {
      await pool.end();
    }
    expect(() => createPool(db.url, { settings: { "x; drop": 1 } })).toThrow(/bad session setting/);
  });

  it("sets the session guards: timeouts and server keepalives", async () => {
    const pool = createPool(db.url, { max: 1, guards: { statementTimeoutMs: 1_500, lockTimeoutMs: 250, idleInTransactionMs: 3_000 } });
    try {
      const { rows } = await pool.query(
        `SELECT current_setting('statement_timeout') AS s, current_setting('lock_timeout') AS l,
                current_setting('idle_in_transaction_session_timeout') AS i, current_setting('tcp_keepalives_idle') AS k`,
      );
      expect(rows[0]).toEqual({ s: "1500ms", l: "250ms", i: "3s", k: "5" });
      await expect(pool.query("SELECT pg_sleep(3)")).rejects.toThrow(/statement timeout/);
    } finally {
      await pool.end();
    }
  });

  it("a session frozen inside a transaction is ended by the server, and the pool goes on", async () => {
    const errors: Error[] = [];
    const pool = createPool(db.url, { max: 2, guards: { statementTimeoutMs: 5_000, lockTimeoutMs: 1_000, idleInTransactionMs: 300 }, onError: (e) => errors.push(e) });
    try {
      const client = await pool.connect();
      await client.query("BEGIN");
      await client.query("SELECT 1");
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // idle in transaction, as a frozen process would be
      await expect(client.query("SELECT 1")).rejects.toThrow();
      client.release(true);
      expect(errors.length).toBeGreaterThan(0); // heard, not thrown at the process
      expect((await pool.query("SELECT 2 AS ok")).rows[0]).toEqual({ ok: 2 });
    } finally {
      await pool.end();
    }
  });

  it("survives the server killing an idle client, reporting it to the logger", async () => {
    const errors: Error[] = [];
    const pool = createPool(db.url, { application_name: "coop-pool-test", onError: (error) => errors.push(error) });
    try {
      const client = await pool.connect();
      const pid = (await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
      client.release(); // idle in the pool now
      const killer = new pg.Client({ connectionString: db.url });
      await killer.connect();
      await killer.query("SELECT pg_terminate_backend($1)", [pid]);
      await killer.end();
      await expect.poll(() => errors.length, { timeout: 5_000 }).toBeGreaterThan(0);
      expect((await pool.query("SELECT 1 AS ok")).rows[0]).toEqual({ ok: 1 });
    } finally {
      await pool.end();
    }
  });
});
