// `pnpm bench [--json] [--runs N]`: every workload of CONTRACT section 5 against the real
// PostgreSQL and Redis, in a scratch database and queue prefix that are dropped afterwards.
import { randomBytes, randomUUID } from "node:crypto";
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { loadConfig } from "@coop/config";
import { createPool, createPrismaClient } from "@coop/database";
import { createTestDatabase } from "@coop/database/testing";
import { familyAggregate } from "@coop/domain";
import { EventStore } from "@coop/event-store";
import { GraphQLClient } from "./graphql-client";
import { AppProcess, benchToken, type StackEnv } from "./stack";
import { startCpuMeter, startPostgresCpuMeter } from "./process-cpu";
import { medianOfRuns, perThousand, round, timeMsOf } from "./stats";
import { appendRaw, appendThroughEventStore, SHAPES } from "./workloads/append";
import { catchUp, eventsAppliedByProjections, waitForProjections } from "./workloads/catchup";
import { encryptionCost, encryptionStores } from "./workloads/encryption";
import { commandE2e, enrollFamilies, familyByIdThroughput, familyDetailChanges, pairedQueryLatencies, projectionLag, queryLatencies } from "./workloads/gateway";
import { readYourWrites, subscriptionFanout } from "./workloads/frontends";
import { populate } from "./workloads/population";
import { replayVsSnapshot, writeLongStream } from "./workloads/replay";
import { catchUpSetting, populateScaleTemplate, SCALE_SETTINGS, settingKey } from "./workloads/scale";
import { startWorkerCpuStack, workerCpuResult, workerCpuRun } from "./workloads/worker-cpu";
import { printTable } from "./report";

const args = process.argv.slice(2);
const json = args.includes("--json");
const runsArg = args.indexOf("--runs");
const runs = runsArg >= 0 ? Number(args[runsArg + 1]) : 3;
if (!Number.isInteger(runs) || runs < 1) {
  console.error("usage: pnpm bench [--json] [--runs N]   (N at least 1; medians need 3)");
  process.exit(2);
}
const onlyArg = args.indexOf("--only");
const only = onlyArg >= 0 ? new Set(String(args[onlyArg + 1] ?? "").split(",")) : null;
const WORKLOADS = ["append", "encryption", "replay_vs_readmodel", "catchup", "query", "rls", "command_e2e", "projection_lag", "read_your_writes", "subscription_fanout", "scale", "worker_cpu"];
if (only && [...only].some((w) => !WORKLOADS.includes(w))) {
  console.error(`--only takes a comma-separated list of: ${WORKLOADS.join(", ")}`);
  process.exit(2);
}
/** Whether to run a workload: all of them unless --only names some (for profiling one). */
const wanted = (workload: string) => !only || only.has(workload);
const POPULATION = Number(process.env.BENCH_FAMILIES ?? 100_000);
/** Events the scale workload's workers catch up (BENCH_SCALE_EVENTS, whole families of 10). */
const SCALE_EVENTS = Number(process.env.BENCH_SCALE_EVENTS ?? 1_000_000);
/** Runs of the scale workload (BENCH_SCALE_RUNS, default 1, at most --runs): each is 4 catch-ups of SCALE_EVENTS. */
const SCALE_RUNS = Math.min(runs, Number(process.env.BENCH_SCALE_RUNS ?? 1));
/** The workloads that need the population, gateway and worker of the main scratch database. */
const MAIN_STACK = ["replay_vs_readmodel", "catchup", "query", "rls", "command_e2e", "projection_lag", "read_your_writes", "subscription_fanout"];
/** recordPayment mutations per command_e2e run (and per run of its ceiling). */
const E2E_COMMANDS = 10_000;
const log = (message: string) => (json ? process.stderr : process.stdout).write(`${message}\n`);

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const config = loadConfig(process.env, { requireJwtSecret: false, requireDataKeySecret: false }); // only REDIS_URL is read here
const db = await createTestDatabase("coop_bench");
const env: StackEnv = { databaseUrl: db.url, redisUrl: config.redisUrl, queuePrefix: `bench-${randomUUID().slice(0, 8)}`, jwtSecret: randomBytes(32).toString("hex"), dataKeySecret: randomBytes(32).toString("hex") };
const pool = createPool(db.url, { max: 16, application_name: "bench" });
const tenantId = "bench-tenant";
const processes: AppProcess[] = [];

async function cleanUp() {
  await Promise.all(processes.map((p) => p.stop().catch(() => undefined)));
  await pool.end().catch(() => undefined);
  const redis = new Redis(config.redisUrl);
  let cursor = "0";
  do {
    // The scale and worker_cpu stacks use prefixes of their own that start with this one.
    const [next, keys] = await redis.scan(cursor, "MATCH", `${env.queuePrefix}*`, "COUNT", 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== "0");
  redis.disconnect();
  await db.drop();
}

try {
  const started = performance.now();
  const perRun: Record<string, Record<string, number>[]> = {};
  const record = (key: string, figures: Record<string, number>) => (perRun[key] ??= []).push(figures);
  let lagSeries: [number, number][] = [];

  log(`bench: scratch database ${db.name}, queue prefix ${env.queuePrefix}, ${runs} runs`);

  // 1. Appends: ours and the raw-SQL baseline, alternating which goes first. They write synthetic
  // events to streams never enrolled, so they get a database of their own: the read models'
  // projections would rightly refuse such events.
  if (wanted("append")) {
  const appendDb = await createTestDatabase("coop_bench_append");
  const appendPool = createPool(appendDb.url, { max: 16, application_name: "bench-append" });
  try {
    await appendBenchmarks(appendPool);
  } finally {
    await appendPool.end();
    await appendDb.drop();
  }
  }

  async function appendBenchmarks(pool: ReturnType<typeof createPool>) {
  for (let run = 0; run < runs; run++) {
    for (const [key, shape] of Object.entries(SHAPES)) {
      const order = run % 2 ? ["raw", "ours"] : ["ours", "raw"];
      for (const who of order) {
        const figures = who === "ours" ? await appendThroughEventStore(pool, shape) : await appendRaw(pool, shape);
        const picked: Record<string, number> =
          key === "append_batch" ? { eventsPerSec: figures.eventsPerSec } : { perSec: figures.perSec, p50Ms: figures.p50Ms, p99Ms: figures.p99Ms };
        record(who === "ours" ? key : `raw.${key}`, picked);
      }
    }
    log(`bench: appends run ${run + 1}/${runs} done`);
  }
  }

  // 1b. The cost of sealing personal data: sealed against plain, in a scratch database of its own
  // (its enrolments and long streams must not change the population's figures).
  if (wanted("encryption")) {
    const encryptionDb = await createTestDatabase("coop_bench_encryption");
    const encryptionPool = createPool(encryptionDb.url, { max: 16, application_name: "bench-encryption" });
    try {
      const stores = await encryptionStores(encryptionPool, tenantId);
      for (let run = 0; run < runs; run++) {
        record("encryption", await encryptionCost(stores, tenantId, run));
        log(`bench: encryption run ${run + 1}/${runs} done`);
      }
    } finally {
      await encryptionPool.end();
      await encryptionDb.drop();
    }
  }

  // 1c. Scale (issue 12): catch-up of SCALE_EVENTS events by 1 and 2 workers with 1 and 4 lanes,
  // each setting on a fresh copy of one populated template, in reverse order every other run; and
  // the live projection lag with 2 workers after their catch-up.
  if (wanted("scale")) {
    const template = await populateScaleTemplate(env, tenantId, SCALE_EVENTS);
    log(`bench: scale template of ${template.events} events written in ${template.populateSeconds} s`);
    try {
      for (let run = 0; run < SCALE_RUNS; run++) {
        const order = run % 2 ? [...SCALE_SETTINGS].reverse() : SCALE_SETTINGS;
        for (const setting of order) {
          const withLag = setting.workers === 2 && setting.lanes === 4;
          const { catchUp, lag } = await catchUpSetting(template, env, tenantId, setting, withLag);
          record(`scale.${settingKey(setting)}`, catchUp);
          if (lag) record("scale.lag", lag);
          log(`bench: scale ${settingKey(setting)} run ${run + 1}/${SCALE_RUNS}: ${catchUp.eventsPerSec} events/s, ${catchUp.cpuMsPer1000Events} CPU ms per 1,000 events, ${catchUp.cpuCoresBusy} cores busy${lag ? `; lag p50 ${lag.p50Ms} ms, p99 ${lag.p99Ms} ms` : ""}`);
        }
      }
    } finally {
      await template.db.drop();
    }
  }

  // 1d. The worker's CPU by role (issue 14): a process per projection and a publisher-only one.
  if (wanted("worker_cpu")) {
    const stack = await startWorkerCpuStack(env);
    try {
      for (let run = 0; run < runs; run++) {
        record("worker_cpu", await workerCpuRun(stack, tenantId));
        log(`bench: worker_cpu run ${run + 1}/${runs} done`);
      }
    } finally {
      await stack.close();
    }
  }

  // Steps 2 to 5 only for the workloads that need them (not for --only append,encryption,scale,worker_cpu).
  if (MAIN_STACK.some(wanted)) {
  // 2. A population of families, and the long stream, written through the event store.
  const store = new EventStore(pool, { upcast: familyAggregate.upcast });
  const longStream = await writeLongStream(store, tenantId);
  const worstStream = await writeLongStream(store, tenantId, true);
  const population = await populate(pool, tenantId, POPULATION);
  log(`bench: ${POPULATION} families (${population.events} events) written`);

  // 3. Catch-up: rebuilding the family read model from every event so far, with no worker running.
  for (let run = 0; run < (wanted("catchup") ? runs : 1); run++) {
    record("catchup", await catchUp(db.url, "family-detail"));
    log(`bench: catch-up run ${run + 1}/${runs} done`);
  }

  // 4. Replay against snapshot against the read-model row.
  const prisma = createPrismaClient(db.url);
  try {
    for (let run = 0; run < (wanted("replay_vs_readmodel") ? runs : 0); run++) {
      const { replayMs, snapshotLoadMs } = await replayVsSnapshot(pool, longStream);
      const readModelMs = await timeMsOf(100, async () => {
        const row = await prisma.familyView.findUnique({ where: { tenantId_familyId: { tenantId, familyId: longStream.streamId } } });
        if (!row) throw new Error("the long stream has no read-model row");
      });
      const worst = await replayVsSnapshot(pool, worstStream);
      record("replay_vs_readmodel", { replayMs, snapshotLoadMs, readModelMs: round(readModelMs, 3), paymentsOnlyReplayMs: worst.replayMs, paymentsOnlySnapshotLoadMs: worst.snapshotLoadMs });
    }
  } finally {
    await prisma.$disconnect();
  }

  // 5. The running system: one gateway, one worker; and the gateway's no-I/O ceiling (G1), a
  // process of its own like the gateway, for the query and command workloads to be measured against.
  let worker = await AppProcess.start("worker", env);
  processes.push(worker);
  const gateway = await AppProcess.start("gateway", env);
  processes.push(gateway);
  const ceiling = wanted("query") || wanted("command_e2e") ? await AppProcess.start("gateway", env, { entry: "src/testing/ceiling.ts", name: "ceiling" }) : null;
  if (ceiling) processes.push(ceiling);
  // The cost of row-level security: the same gateway reading as the tables' owner with the queries'
  // tenant filter alone (apps/gateway/src/testing/owner-reads.ts), against ours, as the reader role.
  const ownerReads = wanted("rls") ? await AppProcess.start("gateway", env, { entry: "src/testing/owner-reads.ts", name: "owner-reads" }) : null;
  if (ownerReads) processes.push(ownerReads);
  await waitForProjections(pool, 300_000);
  const token = await benchToken(env, tenantId, "2h");
  const client = new GraphQLClient(gateway.url, token);
  const ceilingClient = ceiling ? new GraphQLClient(ceiling.url, token) : null;
  const ownerClient = ownerReads ? new GraphQLClient(ownerReads.url, token) : null;
  /** Ours and the ceiling in the order of this run: alternating which goes first, like the appends. */
  const inRunOrder = (run: number) => (run % 2 ? (["ceiling", "ours"] as const) : (["ours", "ceiling"] as const));
  /** One command_e2e load against a gateway process, with that process's CPU per 1,000 commands. */
  async function commandLoad(target: GraphQLClient, server: AppProcess, families: string[]) {
    const cpu = await startCpuMeter(server.pid);
    const postgres = await startPostgresCpuMeter(pool);
    const figures = await commandE2e(target, families, E2E_COMMANDS);
    return {
      ...figures,
      gatewayCpuMsPer1000Commands: perThousand(await cpu.usedMs(), E2E_COMMANDS),
      // The whole server (the machine's PostgreSQL), when it runs here; absent otherwise.
      ...(postgres ? { postgresCpuMsPer1000Commands: perThousand(await postgres.usedMs(), E2E_COMMANDS) } : {}),
    };
  }
  /**
   * Runs `load` and waits until every projection has caught up with it; the worker's CPU meanwhile
   * per 1,000 events applied (summed over the projections).
   */
  async function withWorkerCpu<T>(load: () => Promise<T>): Promise<{ result: T; workerCpuMsPer1000Events: number; postgres: { postgresCpuMsPer1000Events?: number } }> {
    const cpu = await startCpuMeter(worker.pid);
    const postgres = await startPostgresCpuMeter(pool);
    const appliedBefore = await eventsAppliedByProjections(pool);
    const result = await load();
    await waitForProjections(pool, 120_000);
    const applied = (await eventsAppliedByProjections(pool)) - appliedBefore;
    return {
      result,
      workerCpuMsPer1000Events: perThousand(await cpu.usedMs(), applied),
      // The whole server's CPU (commands and projections alike) per 1,000 events applied.
      postgres: postgres ? { postgresCpuMsPer1000Events: perThousand(await postgres.usedMs(), applied) } : {},
    };
  }
  try {
    for (let run = 0; run < (wanted("query") ? runs : 0); run++) {
      const latencies = await queryLatencies(client, population.ids, population.searchTerms);
      let familyByIdPerSec = Number.NaN;
      for (const who of inRunOrder(run)) {
        if (who === "ours") familyByIdPerSec = (await familyByIdThroughput(client, population.ids)).perSec;
        else record("ceiling.g1_query", { ...(await familyByIdThroughput(ceilingClient!, population.ids)) });
      }
      record("query", { ...latencies, familyByIdPerSec });
      log(`bench: query run ${run + 1}/${runs} done`);
    }
    // The query workload's latencies as the reader role under row-level security and as the owner,
    // interleaved request by request.
    for (let run = 0; run < (wanted("rls") ? runs : 0); run++) {
      const { a, b } = await pairedQueryLatencies({ a: client, b: ownerClient! }, population.ids, population.searchTerms, 500);
      record("rls.reader", a);
      record("rls.owner", b);
      log(`bench: rls run ${run + 1}/${runs} done`);
    }
    const families = await enrollFamilies(client, 1_000, "e2e");
    // The command path (gateway, PostgreSQL, Redis) on its own: on a 2-core box the worker, which
    // in production runs elsewhere, would take half the CPU. It is stopped here and catches up
    // afterwards; the same workload with the worker running is reported as command_e2e_with_worker.
    // The ceiling runs the same load with the worker stopped too, ours and it in alternating order.
    if (wanted("command_e2e")) {
      await worker.stop();
      await commandE2e(ceilingClient!, families, 1_000); // the ceiling's warm-up: the gateway has had the enrollments
      for (let run = 0; run < runs; run++) {
        for (const who of inRunOrder(run)) {
          if (who === "ours") record("command_e2e", await commandLoad(client, gateway, families));
          else record("ceiling.g1_mutation", await commandLoad(ceilingClient!, ceiling!, families));
        }
        log(`bench: command_e2e and its ceiling, run ${run + 1}/${runs} done (worker stopped)`);
      }
      const restarted = await AppProcess.start("worker", env);
      processes[processes.indexOf(worker)] = restarted;
      worker = restarted;
      await waitForProjections(pool, 300_000);
      for (let run = 0; run < runs; run++) {
        const { result, workerCpuMsPer1000Events, postgres } = await withWorkerCpu(() => commandLoad(client, gateway, families));
        record("command_e2e_with_worker", { ...result, workerCpuMsPer1000Events, ...postgres });
        log(`bench: command_e2e_with_worker run ${run + 1}/${runs} done`);
      }
    }
    for (let run = 0; run < (wanted("projection_lag") ? runs : 0); run++) {
      const { result, workerCpuMsPer1000Events, postgres } = await withWorkerCpu(() => projectionLag(client, pool, tenantId, families, 500, 20, { changes: familyDetailChanges(env) }));
      record("projection_lag", { ...result.figures, workerCpuMsPer1000Events, ...postgres });
      if (run === 0) lagSeries = result.series;
      log(`bench: projection_lag run ${run + 1}/${runs} done`);
    }
    // CONTRACT section 6: reading one's own writes (beside command_e2e and projection_lag of the
    // same run, which it is judged against), and live updates through two gateway processes.
    for (let run = 0; run < (wanted("read_your_writes") ? runs : 0); run++) {
      record("read_your_writes", await readYourWrites(client, families));
      await waitForProjections(pool, 120_000);
      log(`bench: read_your_writes run ${run + 1}/${runs} done`);
    }
    if (wanted("subscription_fanout")) {
      const second = await AppProcess.start("gateway", env, { name: "gateway2" });
      processes.push(second);
      const secondClient = new GraphQLClient(second.url, token);
      try {
        for (let run = 0; run < runs; run++) {
          const gateways = [
            { client, url: gateway.url },
            { client: secondClient, url: second.url },
          ];
          record("subscription_fanout", await subscriptionFanout(gateways, token, families));
          await waitForProjections(pool, 120_000);
          log(`bench: subscription_fanout run ${run + 1}/${runs} done`);
        }
      } finally {
        await secondClient.close();
      }
    }
  } finally {
    await client.close();
    await ceilingClient?.close();
    await ownerClient?.close();
  }
  }

  const result = buildResult(perRun, runs, (performance.now() - started) / 1000);
  const outDir = join(root, "bench-results");
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "latest.json"), JSON.stringify(result, null, 2));
  if (lagSeries.length) writeFileSync(join(outDir, "projection-lag-series.json"), JSON.stringify(lagSeries));
  if (!json) printTable(result);
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (error) {
  console.error("bench failed:", error);
  process.exitCode = 1;
} finally {
  await cleanUp();
  await sleep(10);
}

function buildResult(perRun: Record<string, Record<string, number>[]>, runCount: number, seconds: number) {
  const median = (key: string) => medianOfRuns(perRun[key] ?? []);
  const ratio = (a: number | undefined, b: number | undefined) => (a && b ? round(a / b, 3) : null);
  const ours = {
    append_concurrent: median("append_concurrent"),
    append_sequential: median("append_sequential"),
    append_batch: median("append_batch"),
    replay_vs_readmodel: median("replay_vs_readmodel"),
    command_e2e: median("command_e2e"),
    command_e2e_with_worker: median("command_e2e_with_worker"),
    projection_lag: median("projection_lag"),
    /** CONTRACT section 6: recordPayment selecting `family` (p50Ms, p99Ms), and a query with X-Consistent-With after a receipt. */
    read_your_writes: median("read_your_writes"),
    /** 500 commands/s, 200 familyChanged subscribers over 2 gateway processes: receipt to message. */
    subscription_fanout: median("subscription_fanout"),
    catchup: median("catchup"),
    query: median("query"),
    /** Sealing personal data: sealed over plain (appendRatio goal >= 0.85, replayRatio goal <= 1.5). */
    encryption: median("encryption"),
  };
  const scaleRuns = SCALE_SETTINGS.map((s) => median(`scale.${settingKey(s)}`)).filter((r) => Object.keys(r).length > 0);
  const eventsPerSec = (workers: number, lanes: number) => scaleRuns.find((r) => r.workers === workers && r.lanes === lanes)?.eventsPerSec;
  const scale = scaleRuns.length
    ? {
        runs: scaleRuns,
        bestCatchupEventsPerSec: Math.max(...scaleRuns.map((r) => r.eventsPerSec!)),
        /** Catch-up with 4 lanes over 1 lane with 2 workers (where lanes can run side by side); goal >= 1. */
        lanes4Over1: ratio(eventsPerSec(2, 4), eventsPerSec(2, 1)),
        lanes4Over1ByWorkers: { 1: ratio(eventsPerSec(1, 4), eventsPerSec(1, 1)), 2: ratio(eventsPerSec(2, 4), eventsPerSec(2, 1)) },
        workers2Over1: { 1: ratio(eventsPerSec(2, 1), eventsPerSec(1, 1)), 4: ratio(eventsPerSec(2, 4), eventsPerSec(1, 4)) },
        projectionLag: median("scale.lag"),
      }
    : null;
  const raw = {
    append_concurrent: median("raw.append_concurrent"),
    append_sequential: median("raw.append_sequential"),
    append_batch: median("raw.append_batch"),
  };
  // G1: the gateway's no-I/O ceiling (apps/gateway/src/testing/ceiling.ts), same run, same client.
  const ceilings = {
    g1_mutation: median("ceiling.g1_mutation"),
    g1_query: median("ceiling.g1_query"),
  };
  // Row-level security's cost: each p50 as the reader role over the same as the owner; the worst.
  const rls = { reader: median("rls.reader"), owner: median("rls.owner") };
  const rlsRatios = (["familyByIdP50Ms", "atRiskP50Ms", "searchP50Ms"] as const).map((k) => ratio(rls.reader[k], rls.owner[k]));
  return {
    ...ours,
    scale,
    worker_cpu: workerCpuResult(median("worker_cpu")),
    rls: { ...rls, overhead: rlsRatios.every((r) => r !== null) ? Math.max(...(rlsRatios as number[])) : null },
    raw,
    ceilings,
    ratios: {
      append_concurrent: ratio(ours.append_concurrent.perSec, raw.append_concurrent.perSec),
      append_sequential: ratio(ours.append_sequential.perSec, raw.append_sequential.perSec),
      append_batch: ratio(ours.append_batch.eventsPerSec, raw.append_batch.eventsPerSec),
      command_e2e_over_g1: ratio(ours.command_e2e.perSec, ceilings.g1_mutation.perSec),
      command_e2e_with_worker_over_g1: ratio(ours.command_e2e_with_worker.perSec, ceilings.g1_mutation.perSec),
      command_e2e_with_worker_over_command_e2e: ratio(ours.command_e2e_with_worker.perSec, ours.command_e2e.perSec),
      family_by_id_over_g1: ratio(ours.query.familyByIdPerSec, ceilings.g1_query.perSec),
      /** Goal <= 1.5: waiting for one's own write costs about the command plus the projection's lag. */
      read_your_writes_over_lag_plus_e2e: ours.projection_lag.p50Ms && ours.command_e2e.p50Ms ? ratio(ours.read_your_writes.p50Ms, ours.projection_lag.p50Ms + ours.command_e2e.p50Ms) : null,
    },
    runs: perRun,
    meta: { runs: runCount, seconds: round(seconds), families: POPULATION, scaleEvents: SCALE_EVENTS, scaleRuns: SCALE_RUNS, node: process.version, cpus: cpus().length, date: new Date().toISOString() },
  };
}
