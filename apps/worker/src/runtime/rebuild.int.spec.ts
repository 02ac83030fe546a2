// `pnpm projections rebuild NAME` while queries run: never an error, an empty table or fewer rows;
// afterwards the same content and the same index/constraint names (the schema still matches
// schema.prisma); and a rebuild while commands flow hands over to live processing exactly.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool, READER_ROLE } from "@coop/database";
import type pg from "pg";
import { projections } from "../projections/projections";
import { tablesOf } from "../projections/types";
import { runProjectionsCli, startProjectionsCli } from "../test-kit/cli";
import { isRebuildRunning } from "./rebuild";
import { verifyReadModels } from "../test-kit/compare";
import { randomSeed } from "../test-kit/random";
import { TestStack } from "../test-kit/stack";
import { waitUntil } from "../test-kit/wait";
import { generateWorkload } from "../test-kit/workload";

const TABLES = projections.flatMap(tablesOf);

let stack: TestStack;
let readers: pg.Pool;
/** Sessions as the gateway's reader role, searching through the search view as the gateway does. */
let searchers: pg.Pool;

beforeAll(async () => {
  stack = await TestStack.create("rebuild");
  readers = createPool(stack.db.url, { max: 4, application_name: "rebuild-test-readers", onError: () => undefined });
  searchers = createPool(stack.db.url, { max: 1, application_name: "rebuild-test-searchers", settings: { role: READER_ROLE }, onError: () => undefined });
  stack.startWorkers(2);
  await stack.waitForWorkers();
  await stack.run(generateWorkload({ seed: randomSeed(), families: 150, commands: 3_000 }));
  await stack.waitForHead();
});

afterAll(async () => {
  await readers?.end();
  await searchers?.end();
  await stack?.close();
});

async function snapshot(pool: pg.Pool): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const table of TABLES) {
    const { rows } = await pool.query<{ r: string }>(`SELECT t::text AS r FROM ${table} t ORDER BY 1`);
    out[table] = rows.map((r) => r.r);
  }
  return out;
}

const VIEWS = projections.flatMap((p) => p.tables.flatMap((t) => (t.searchView ? [t.searchView] : [])));

/** Index and constraint names, and what row-level security hangs on: flags, policies, grants, search views. */
async function schemaNames(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ name: string }>(
    `SELECT 'index ' || tablename || '.' || indexname || ': ' || regexp_replace(indexdef, '^.* USING ', '') AS name
       FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ANY($1::text[])
     UNION ALL
     SELECT 'constraint ' || conrelid::regclass::text || '.' || conname || ' ' || contype::text FROM pg_constraint
      WHERE conrelid::regclass::text = ANY($1::text[])
     UNION ALL
     SELECT 'row security ' || relname || ': enabled ' || relrowsecurity || ', forced ' || relforcerowsecurity || ', owner ' || pg_get_userbyid(relowner)
       FROM pg_class WHERE relname = ANY($1::text[]) AND relnamespace = current_schema()::regnamespace
     UNION ALL
     SELECT 'policy ' || tablename || '.' || policyname || ': ' || permissive || ' ' || cmd || ' to ' || roles::text || ' using ' || coalesce(qual, '-') || ' check ' || coalesce(with_check, '-')
       FROM pg_policies WHERE schemaname = current_schema() AND tablename = ANY($1::text[])
     UNION ALL
     SELECT 'grant ' || table_name || ': ' || privilege_type || ' to ' || grantee FROM information_schema.role_table_grants
      WHERE table_schema = current_schema() AND table_name = ANY($1::text[] || $2::text[])
     UNION ALL
     SELECT 'view ' || viewname || ' of ' || viewowner || ': ' || definition FROM pg_views WHERE schemaname = current_schema() AND viewname = ANY($2::text[])
     ORDER BY 1`,
    [TABLES, VIEWS],
  );
  return rows.map((r) => r.name);
}

/** Queries the read models in a loop, as the gateway would, and records what it saw. */
function queryLoop(pool: pg.Pool, minimum: Record<string, number>, searchPool: pg.Pool) {
  let running = true;
  const seen = { queries: 0, errors: [] as string[], shortfalls: [] as string[] };
  const loop = (async () => {
    while (running) {
      for (const table of TABLES) {
        try {
          const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
          if (rows[0]!.n < minimum[table]!) seen.shortfalls.push(`${table}: ${rows[0]!.n} rows, had ${minimum[table]}`);
          await pool.query("SELECT * FROM family_views WHERE tenant_id = $1 AND search_text ILIKE $2 ORDER BY family_name LIMIT 50", ["tenant-a", "%famil%"]);
          await pool.query("SELECT * FROM at_risk_families WHERE tenant_id = $1 AND risk_score >= 40 ORDER BY risk_score DESC, never_contacted DESC, last_contact_date, family_name LIMIT 100", ["tenant-b"]);
          const months = await pool.query("SELECT m.*, (SELECT json_agg(x) FROM payment_month_methods x WHERE x.tenant_id = m.tenant_id AND x.month = m.month) FROM payment_months m WHERE tenant_id = $1 ORDER BY month DESC", ["tenant-a"]);
          if (months.rowCount === 0) seen.shortfalls.push("payment analytics came back empty");
          const search = (await searchPool.query(
            `SELECT set_config('app.tenant_id', 'tenant-a', true), set_config('app.roles', 'finance', true);
             SELECT count(*)::int AS n FROM family_views_search WHERE tenant_id = 'tenant-a' AND search_text ILIKE '%a%'`,
          )) as unknown as pg.QueryResult<{ n: number }>[];
          if (search[1]!.rows[0]!.n === 0) seen.shortfalls.push("a search through family_views_search came back empty");
          seen.queries += 5;
        } catch (error) {
          seen.errors.push((error as Error).message);
        }
      }
    }
  })();
  return {
    seen,
    stop: async () => {
      running = false;
      await loop;
      return seen;
    },
  };
}

describe("projections rebuild", () => {
  it("rebuilds every projection while queries keep answering, leaving content and schema as they were", async () => {
    const before = await snapshot(stack.pool);
    const names = await schemaNames(stack.pool);
    // Not vacuous: every table has its policies, and the search view is there.
    for (const table of TABLES) {
      expect(names, table).toContain(`row security ${table}: enabled true, forced true, owner ${(await stack.pool.query("SELECT current_user AS u")).rows[0].u}`);
      expect(names.filter((n) => n.startsWith(`policy ${table}.`)).length, table).toBe(2);
      expect(names, table).toContain(`grant ${table}: SELECT to coop_reader`);
    }
    for (const view of VIEWS) expect(names.some((n) => n.startsWith(`view ${view} `)), view).toBe(true);
    const minimum = Object.fromEntries(Object.entries(before).map(([t, rows]) => [t, rows.length]));
    for (const table of TABLES) expect(minimum[table], table).toBeGreaterThan(0);

    const loop = queryLoop(readers, minimum, searchers);
    const outputs: string[] = [];
    let seen: Awaited<ReturnType<typeof loop.stop>>;
    try {
      for (const p of projections) {
        const result = await runProjectionsCli(["rebuild", p.name], stack.workerEnv());
        expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
        expect(result.stdout).toMatch(/rebuilt .*events\/s/);
        outputs.push(result.stdout.trim().split("\n").at(-1)!);
      }
    } finally {
      seen = await loop.stop(); // a failed rebuild must not leave the readers running (the test then hung)
    }
    console.info(outputs.join("\n"));
    expect(seen.errors).toEqual([]);
    expect(seen.shortfalls).toEqual([]);
    expect(seen.queries).toBeGreaterThan(0);

    expect(await snapshot(stack.pool)).toEqual(before);
    expect(await schemaNames(stack.pool)).toEqual(names);
    const { rows: leftovers } = await stack.pool.query("SELECT tablename FROM pg_tables WHERE tablename LIKE '%\\_\\_%'");
    expect(leftovers).toEqual([]);
    for (const row of await stack.projectionRows()) expect(row.status).toBe("RUNNING");
  });

  it("hands over to live processing exactly when commands arrive during the rebuild", async () => {
    const commands = stack.run(generateWorkload({ seed: randomSeed(), families: 60, commands: 1_500 }), { concurrency: 4 });
    const rebuilt = await runProjectionsCli(["rebuild", "family-detail"], stack.workerEnv());
    await commands;
    expect(rebuilt.code, `${rebuilt.stdout}\n${rebuilt.stderr}`).toBe(0);
    const second = await runProjectionsCli(["rebuild", "payment-analytics"], stack.workerEnv());
    expect(second.code, `${second.stdout}\n${second.stderr}`).toBe(0);
    await stack.waitForHead();
    await verifyReadModels(stack.pool, stack.eventStore, stack.model);
  });

  describe("a rebuild that is interrupted", () => {
    // Small chunks make the replay take seconds: long enough to be caught in the middle. A short
    // lease makes an abandoned rebuild visible soon.
    const slow = () => stack.workerEnv({ WORKER_REBUILD_CHUNK: "5", WORKER_LEASE_MS: "1500" });

    async function shadowRows(table: string): Promise<number> {
      const { rows } = await stack.pool.query<{ n: number | null }>("SELECT (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I', $1::text), false, true, '')))[1]::text::int AS n WHERE to_regclass($1) IS NOT NULL", [table]);
      return rows[0]?.n ?? 0;
    }

    async function status(name: string): Promise<string> {
      return (await stack.projectionRows()).find((r) => r.name === name)!.status;
    }

    async function untilReplaying(name: string, table: string) {
      await waitUntil(`a rebuild of ${name} to be replaying`, async () => (await status(name)) === "REBUILDING" && (await shadowRows(`${table}__rebuild`)) > 0, {
        timeoutMs: 60_000,
        intervalMs: 20,
        describe: () => stack.describe(),
      });
    }

    it("killed mid-replay: status says abandoned once its lease expires, and the active publisher drops its shadow tables and sets it RUNNING", async () => {
      // No publisher meanwhile, so that the abandoned state can be seen before it is cleared.
      await Promise.all(stack.running().map((w) => w.stop()));
      const rebuild = startProjectionsCli(["rebuild", "family-detail"], slow());
      await untilReplaying("family-detail", "family_views");
      rebuild.child.kill("SIGKILL");
      const killed = await rebuild.done;
      expect(killed.code).toBeNull(); // died by the signal, in the middle

      await waitUntil("the rebuild's lease to expire", async () => !(await isRebuildRunning(stack.pool, "family-detail")), { timeoutMs: 10_000 });
      const shown = await runProjectionsCli(["status"], stack.workerEnv());
      expect(shown.stdout).toMatch(/family-detail .*REBUILDING \(abandoned/);
      expect(await shadowRows("family_views__rebuild")).toBeGreaterThan(0);

      // Live processing goes on; the active publisher clears the leftovers by itself.
      stack.startWorkers(2);
      await stack.waitForWorkers();
      await stack.run(generateWorkload({ seed: randomSeed(), families: 20, commands: 300 }));
      await waitUntil("the abandoned rebuild to be cleared", async () => (await status("family-detail")) === "RUNNING", { timeoutMs: 30_000, describe: () => stack.describe() });
      const { rows: leftovers } = await stack.pool.query("SELECT tablename FROM pg_tables WHERE tablename LIKE '%\\_\\_rebuild'");
      expect(leftovers).toEqual([]);
      await stack.waitForHead();
      await verifyReadModels(stack.pool, stack.eventStore, stack.model);
    });

    it("alive: the publisher and a worker starting meanwhile leave it alone, and it completes", async () => {
      // Mid-replay, the test takes the projection's row: the rebuild then waits at its swap, alive
      // and holding its lock, for as long as the test needs.
      const holder = await stack.pool.connect();
      try {
        const rebuild = startProjectionsCli(["rebuild", "at-risk"], slow());
        await untilReplaying("at-risk", "at_risk_families");
        await holder.query("BEGIN");
        const { rows: held } = await holder.query<{ status: string }>("SELECT status::text FROM projections WHERE name = 'at-risk' FOR UPDATE");
        expect(held[0]!.status).toBe("REBUILDING");
        expect(await isRebuildRunning(stack.pool, "at-risk")).toBe(true);
        const shown = await runProjectionsCli(["status"], stack.workerEnv());
        expect(shown.stdout).toMatch(/at-risk .*REBUILDING/);
        expect(shown.stdout).not.toMatch(/abandoned/);
        const worker = stack.startWorker({ LOG_LEVEL: "info" }); // it logs its port once prepared
        await worker.httpPort();
        await new Promise((resolve) => setTimeout(resolve, 3_000)); // longer than the lease: it is renewed
        expect(await status("at-risk")).toBe("REBUILDING");
        expect(rebuild.child.exitCode).toBeNull();
        await holder.query("COMMIT");
        const finished = await rebuild.done;
        expect(finished.code, `${finished.stdout}\n${finished.stderr}`).toBe(0);
      } finally {
        await holder.query("ROLLBACK").catch(() => undefined);
        holder.release();
      }
      expect(await status("at-risk")).toBe("RUNNING");
      await stack.waitForHead();
      await verifyReadModels(stack.pool, stack.eventStore, stack.model);
    });
  });
});
