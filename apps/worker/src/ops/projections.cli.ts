// `pnpm projections status|rebuild|resume|dead-letters|retry|skip|drift`: operating the projections.
// Exit codes: 0 done, 1 failed, 2 usage (unknown command, projection or stream).
import { userInfo } from "node:os";
import { parseArgs } from "node:util";
import { createPool, WORKER_SESSION_GUARDS } from "@coop/database";
import type { EventStore } from "@coop/event-store";
import { loadWorkerConfig, type WorkerConfig } from "../config";
import { createLogger, errorMessage } from "../logger";
import { projections } from "../projections/projections";
import {
  effectiveCheckpoint,
  ensureProjectionRows,
  projectionCheckpoint,
  readLanes,
  readProjections,
  readPublisher,
  setProjectionRunning,
} from "../runtime/checkpoints";
import { listParkedStreams, listSkippedEvents } from "../runtime/dead-letters";
import { readWorkers } from "../runtime/heartbeat";
import { formatCheckpoint } from "../runtime/jobs";
import { leaseHolder, PUBLISHER_LEASE } from "../runtime/lease";
import { personalDataEventStore } from "@coop/process";
import { LaneProjector } from "../runtime/projector";
import { isRebuildRunning, rebuildProjection } from "../runtime/rebuild";
import { checkRegistry, checkTables, declaredTables, findProjection } from "../runtime/registry";
import { READ_MODEL_WRITER_SETTINGS } from "../runtime/session-settings";
import { readWatermarkHolder } from "../runtime/watermark";
import { applyRepairs, findDrift, formatDrift, schemaComparisonUnavailable } from "./drift";
import { formatTable } from "./format";

const USAGE = `usage: pnpm projections <command>
  status [--lanes] [--json]     every projection: version, lanes, position, head, lag, status, parked
                                streams, last error; skipped events; the publisher, the live workers,
                                and what holds back the event store's watermark
  rebuild NAME                  rebuild one read model blue/green (queries keep answering), with
                                PROJECTION_LANES lanes
  resume NAME                   clear an ERROR and resume from the lanes' checkpoints
  dead-letters [NAME] [--json]  the parked streams: the event that failed, why, what waits behind
  retry NAME [STREAM]           retry the parked streams of a projection (or one of them) now
  skip NAME STREAM --reason TEXT [--by WHO]
                                skip a parked stream's failing event (recorded with who and why),
                                then retry the rest of the stream
  drift [--apply]               every declared table (projections' and the event store's) against
                                schema.prisma (columns, indexes) and the access declarations
                                (row-level security, policies, the reader role's grants): each
                                difference and the SQL that repairs it; exit 1 when there is any.
                                --apply runs that SQL
STREAM is a stream (family) id, or TENANT/ID when the id is parked in several tenants.
projections: ${projections.map((p) => p.name).join(", ")}`;

class UsageError extends Error {}

const COMMANDS = ["status", "rebuild", "resume", "dead-letters", "retry", "skip", "drift"];

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv.filter((a) => a !== "--"),
      options: {
        lanes: { type: "boolean" },
        json: { type: "boolean" },
        reason: { type: "string" },
        by: { type: "string" },
        apply: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const [command, name, stream, ...rest] = positionals;
  if (command === undefined || command === "help" || values.help) {
    console.log(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  if (!COMMANDS.includes(command)) throw new UsageError(`unknown command "${command}"`);
  if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(" ")}`);
  if ((command === "status" || command === "drift") && name !== undefined) throw new UsageError(`${command} takes no projection, got "${name}"`);
  if (values.apply && command !== "drift") throw new UsageError("--apply is for drift only");
  const needsName = ["rebuild", "resume", "retry", "skip"].includes(command);
  if (needsName && name === undefined) throw new UsageError(`${command} needs a projection name`);
  if (name !== undefined && !findProjection(projections, name)) {
    throw new UsageError(`unknown projection "${name}"; projections: ${projections.map((p) => p.name).join(", ")}`);
  }
  if (stream !== undefined && command !== "retry" && command !== "skip") throw new UsageError(`${command} takes no stream`);
  if (command === "skip" && stream === undefined) throw new UsageError("skip needs a stream");
  if (command === "skip" && !values.reason?.trim()) throw new UsageError("skip needs --reason TEXT: why the event may be skipped");

  // The CLI signs no tokens: it does not need JWT_SECRET. Only the commands that apply events open
  // personal fields and need DATA_KEY_SECRET; status, dead letters and drift read no event data.
  const opensEvents = ["resume", "rebuild", "retry", "skip"].includes(command);
  const config = loadWorkerConfig(process.env, { requireJwtSecret: false, requireDataKeySecret: opensEvents });
  checkRegistry(projections);
  const pool = createPool(config.databaseUrl, {
    max: 4,
    application_name: `coop-projections-cli:${process.pid}`,
    guards: { ...WORKER_SESSION_GUARDS, statementTimeoutMs: 0 }, // a rebuild's VACUUM may take long
    settings: READ_MODEL_WRITER_SETTINGS,
    onError: () => undefined,
  });
  try {
    // Drift reads (and with --apply repairs) the schema alone: missing tables are among what it reports.
    if (command === "drift") return await drift(pool, config.databaseUrl, Boolean(values.apply));
    await checkTables(pool, projections);
    await ensureProjectionRows(pool, projections, config.lanes);
    if (command === "status") return await status(pool, Boolean(values.lanes), Boolean(values.json));
    if (command === "dead-letters") return await deadLetters(pool, name, Boolean(values.json));
    const eventStore = personalDataEventStore(pool, config);
    switch (command) {
      case "resume":
        return await resume(pool, eventStore, config, name!);
      case "rebuild":
        return await rebuild(pool, eventStore, config, name!);
      case "retry":
      case "skip":
        return await retryOrSkip(pool, eventStore, config, command, name!, stream, values.reason?.trim(), values.by?.trim() || operator());
    }
    return 2;
  } finally {
    await pool.end().catch(() => undefined);
  }
}

function operator(): string {
  try {
    return process.env.SUDO_USER || userInfo().username;
  } catch {
    return process.env.USER || "unknown";
  }
}

async function status(pool: ReturnType<typeof createPool>, withLanes: boolean, json: boolean): Promise<number> {
  const [rows, lanes, publisher, head, lease, holder, workers, parked, skipped] = await Promise.all([
    readProjections(pool),
    readLanes(pool),
    readPublisher(pool),
    pool.query<{ head: string }>("SELECT coalesce(max(position), 0)::text AS head FROM events").then((r) => r.rows[0]!.head),
    leaseHolder(pool, PUBLISHER_LEASE),
    readWatermarkHolder(pool),
    readWorkers(pool),
    listParkedStreams(pool),
    listSkippedEvents(pool),
  ]);
  const rank = (n: string) => {
    const i = projections.findIndex((p) => p.name === n);
    return i < 0 ? projections.length : i;
  };
  rows.sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
  const lag = (position: string) => Math.max(0, Number(BigInt(head) - BigInt(position)));
  const report = await Promise.all(
    rows.map(async (r) => {
      const own = lanes.filter((l) => l.projection === r.name);
      const at = projectionCheckpoint(own, publisher);
      const code = findProjection(projections, r.name);
      const abandoned = r.status === "REBUILDING" && !(await isRebuildRunning(pool, r.name));
      return {
        name: r.name,
        registered: code !== undefined,
        version: r.version,
        codeVersion: code?.version ?? null,
        lanes: r.lanes,
        position: at.position,
        headPosition: head,
        lag: lag(at.position),
        status: r.status,
        abandonedRebuild: abandoned,
        parkedStreams: own.reduce((n, l) => n + l.parkedStreams, 0),
        eventsProcessed: own.reduce((n, l) => n + BigInt(l.eventsProcessed), 0n).toString(),
        updatedAt: r.updatedAt.toISOString(),
        lastError: r.lastError,
        skipped: skipped.filter((s) => s.projection === r.name),
        laneDetails: own.map((l) => {
          const effective = effectiveCheckpoint(l, publisher);
          return {
            lane: l.lane,
            checkpoint: formatCheckpoint(l.checkpoint),
            position: effective.position,
            lag: lag(effective.position),
            parkedStreams: l.parkedStreams,
            eventsProcessed: l.eventsProcessed,
            lastAppliedAt: l.lastAppliedAt?.toISOString() ?? null,
          };
        }),
      };
    }),
  );
  const liveWorkers = workers.map((w) => ({ ...w, silent: w.secondsSinceSeen > 10 }));
  const publisherLine = { checkpoint: formatCheckpoint(publisher.checkpoint), lag: lag(publisher.checkpoint.position), holder: lease?.holder ?? null };
  if (json) {
    console.log(JSON.stringify({ projections: report, publisher: publisherLine, watermarkHolder: holder, workers: liveWorkers, parkedStreams: parked.length }, null, 2));
    return 0;
  }
  console.log(
    formatTable(
      ["NAME", "VERSION", "LANES", "POSITION", "HEAD", "LAG", "STATUS", "PARKED", "PROCESSED", "UPDATED", "LAST ERROR"],
      report.map((r) => [
        r.name + (r.registered ? "" : " (not registered)"),
        r.codeVersion === null || r.codeVersion === r.version ? String(r.version) : `${r.version} (code ${r.codeVersion})`,
        String(r.lanes),
        r.position,
        r.headPosition,
        String(r.lag),
        r.abandonedRebuild ? "REBUILDING (abandoned: the active publisher clears it)" : r.status,
        String(r.parkedStreams),
        r.eventsProcessed,
        r.updatedAt,
        (r.lastError ?? "").split("\n")[0]!,
      ]),
    ),
  );
  if (withLanes) {
    console.log(
      `\n${formatTable(
        ["PROJECTION", "LANE", "CHECKPOINT", "POSITION", "LAG", "PARKED", "PROCESSED", "LAST APPLIED"],
        report.flatMap((r) => r.laneDetails.map((l) => [r.name, String(l.lane), l.checkpoint, l.position, String(l.lag), String(l.parkedStreams), l.eventsProcessed, l.lastAppliedAt ?? ""])),
      )}`,
    );
  }
  const skippedAll = report.flatMap((r) => r.skipped);
  if (skippedAll.length > 0) {
    console.log("\nskipped events:");
    for (const s of skippedAll) {
      console.log(`  ${s.projection}: ${s.eventType} at position ${s.position} (stream ${s.tenantId}/${s.streamId} v${s.streamVersion}), skipped by ${s.skippedBy} at ${s.skippedAt.toISOString()}: ${s.reason}`);
    }
  }
  console.log(
    `\npublisher: checkpoint ${publisherLine.checkpoint} (transaction/position), lag ${publisherLine.lag}, ` +
      (lease ? `active in ${lease.holder}` : "no worker holds the publisher lease"),
  );
  console.log(
    holder
      ? `watermark: held back by pid ${holder.pid} (database ${holder.database || "?"}, ${holder.application || "no application name"}, ${holder.state ?? "?"}), its transaction open for ${holder.ageSeconds.toFixed(1)} s`
      : "watermark: no open writing transaction holds it back",
  );
  console.log(
    `workers: ${liveWorkers.length === 0 ? "none seen" : liveWorkers.map((w) => `${w.workerId}${w.publisher ? " (publisher)" : ""}${w.silent ? ` SILENT for ${Math.round(w.secondsSinceSeen)} s` : ""}`).join(", ")}`,
  );
  return 0;
}

async function deadLetters(pool: ReturnType<typeof createPool>, name: string | undefined, json: boolean): Promise<number> {
  const parked = await listParkedStreams(pool, name);
  if (json) {
    console.log(JSON.stringify(parked, null, 2));
    return 0;
  }
  if (parked.length === 0) {
    console.log(`no parked streams${name ? ` in ${name}` : ""}`);
    return 0;
  }
  console.log(
    formatTable(
      ["PROJECTION", "LANE", "STREAM", "POSITION", "VERSION", "EVENT", "ATTEMPTS", "WAITING", "FIRST FAILED", "LAST FAILED", "ERROR"],
      parked.map((p) => [
        p.projection,
        String(p.lane),
        `${p.tenantId}/${p.streamId}`,
        p.position,
        String(p.streamVersion),
        p.eventType,
        String(p.attempts),
        String(p.waiting),
        p.firstFailedAt.toISOString(),
        p.lastFailedAt.toISOString(),
        (p.error ?? "").split("\n")[0]!,
      ]),
    ),
  );
  return 0;
}

/**
 * ERROR/STOPPED -> RUNNING, then its parked streams are retried: a fault across many streams may
 * have parked some before it stopped the projection, and the fix that resumes it is theirs too.
 */
async function resume(pool: ReturnType<typeof createPool>, eventStore: EventStore, config: WorkerConfig, name: string): Promise<number> {
  await setProjectionRunning(pool, name);
  console.log(`${name}: RUNNING; its lanes catch up from their checkpoints (the active publisher hands them the events they owe)`);
  const parked = await listParkedStreams(pool, name);
  if (parked.length === 0) return 0;
  const projector = new LaneProjector(findProjection(projections, name)!, { pool, eventStore, retryWindowMs: 0, parkLimit: config.parkLimit });
  let still = 0;
  for (const lane of [...new Set(parked.map((p) => p.lane))]) still += (await projector.retryParked(lane)).stillParked;
  console.log(`${name}: ${parked.length - still} of ${parked.length} parked streams applied${still > 0 ? `; ${still} still parked (pnpm projections dead-letters ${name})` : ""}`);
  return 0;
}

async function rebuild(pool: ReturnType<typeof createPool>, eventStore: EventStore, config: WorkerConfig, name: string): Promise<number> {
  const projection = findProjection(projections, name)!;
  const logger = createLogger(process.env.LOG_LEVEL || "info", { command: "rebuild" });
  console.log(`rebuilding ${projection.name} (version ${projection.version}, ${config.lanes} lanes; tables ${projection.tables.map((t) => t.name).join(", ")}) ...`);
  const result = await rebuildProjection({
    pool,
    eventStore,
    projection,
    lanes: config.lanes,
    holder: `coop-projections-cli:${process.pid}`,
    leaseMs: config.leaseMs,
    log: logger,
    chunk: config.rebuildChunk,
  });
  console.log(
    `rebuilt ${result.projection}: ${result.read} events read, ${result.applied} applied in ` +
      `${(result.replaySeconds + result.swapSeconds).toFixed(2)} s (swap ${(result.swapSeconds * 1000).toFixed(0)} ms): ` +
      `${result.eventsPerSec} events/s; checkpoint ${formatCheckpoint(result.checkpoint)}`,
  );
  return 0;
}

async function retryOrSkip(
  pool: ReturnType<typeof createPool>,
  eventStore: EventStore,
  config: WorkerConfig,
  command: "retry" | "skip",
  name: string,
  streamArg: string | undefined,
  reason: string | undefined,
  by: string,
): Promise<number> {
  const projection = findProjection(projections, name)!;
  const parked = await listParkedStreams(pool, name);
  let targets = parked;
  if (streamArg !== undefined) {
    const [tenant, id] = streamArg.includes("/") ? [streamArg.slice(0, streamArg.lastIndexOf("/")), streamArg.slice(streamArg.lastIndexOf("/") + 1)] : [null, streamArg];
    targets = parked.filter((p) => p.streamId === id.toLowerCase() && (tenant === null || p.tenantId === tenant));
    if (targets.length === 0) throw new UsageError(`no parked stream ${streamArg} in ${name} (see pnpm projections dead-letters ${name})`);
    if (targets.length > 1) throw new UsageError(`stream ${streamArg} is parked in several tenants: give it as TENANT/ID`);
  }
  if (targets.length === 0) {
    console.log(`${name}: no parked streams`);
    return 0;
  }
  const projector = new LaneProjector(projection, { pool, eventStore, retryWindowMs: 0, parkLimit: config.parkLimit });
  let failed = 0;
  for (const target of targets) {
    const result = await projector.retryParked(target.lane, {
      stream: { tenantId: target.tenantId, streamId: target.streamId },
      skip: command === "skip" ? { by, reason: reason! } : undefined,
    });
    if (result.notRetried) {
      console.log(`${name}: not retried (${result.notRetried}): resume the projection first`);
      return 1;
    }
    const what = `${target.tenantId}/${target.streamId}`;
    if (result.skipped) console.log(`${name} ${what}: skipped ${result.skipped.eventType} at position ${result.skipped.position} (by ${by}: ${reason})`);
    if (result.unparked > 0) console.log(`${name} ${what}: ${result.applied} parked events applied; the stream goes on`);
    else {
      failed++;
      console.log(`${name} ${what}: still parked after applying ${result.applied} (see pnpm projections dead-letters ${name})`);
    }
  }
  return failed > 0 ? 1 : 0;
}

/**
 * Prints every difference and its repair; with --apply runs the repairs, then looks again (a table
 * created by a repair may need its row-level security next: up to three rounds).
 */
async function drift(pool: ReturnType<typeof createPool>, url: string, apply: boolean): Promise<number> {
  const tables = declaredTables(projections);
  const views = tables.filter((t) => t.searchView).length;
  const unavailable = schemaComparisonUnavailable();
  if (unavailable) console.log(`columns and indexes not compared: ${unavailable} (run drift from a checkout of the repository)`);
  let drifts = await findDrift(pool, tables, { url, reference: unavailable ? null : undefined });
  for (let round = 1; drifts.length > 0; round++) {
    console.log(`${drifts.length} difference(s) from schema.prisma and the access declarations, each with the SQL that repairs it:\n`);
    console.log(formatDrift(drifts));
    if (!apply) {
      console.log("\nrepair with: pnpm projections drift --apply");
      return 1;
    }
    if (drifts.every((d) => d.repair.length === 0) || round > 3) {
      console.log("\nwhat is left cannot be repaired by drift --apply (see above)");
      return 1;
    }
    const ran = await applyRepairs(pool, drifts);
    console.log(`\napplied ${ran} statement(s); looking again ...\n`);
    drifts = await findDrift(pool, tables, { url, reference: unavailable ? null : undefined });
  }
  console.log(
    `no drift: ${tables.length} tables${views > 0 ? ` and ${views} search view(s)` : ""} match ${unavailable ? "" : "schema.prisma (columns, keys, indexes) and "}` +
      "the access declarations (row-level security enabled and forced, policies, the reader role and its grants)",
  );
  return unavailable ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error(`projections: ${errorMessage(error)}`);
    process.exit(1);
  },
);
