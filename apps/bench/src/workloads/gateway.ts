import { randomUUID } from "node:crypto";
import type pg from "pg";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { streamChangesChannel } from "@coop/config";
import { decodeStreamChanges } from "@coop/projection-state";
import type { GraphQLClient } from "../graphql-client";
import { latencyFigures, percentile, round, runConcurrent } from "../stats";

const ENROLL = `mutation Enroll($input: EnrollFamilyInput!) { enrollFamily(input: $input) { streamId version } }`;
const PAY = `mutation Pay($input: RecordPaymentInput!) { recordPayment(input: $input) { streamId version position } }`;
const FAMILY = `query F($id: ID!) { family(id: $id) { id familyName status childrenCount totalPaidCents riskScore riskTier version } }`;

/** Enrolls `count` families through the gateway and returns their ids. */
export async function enrollFamilies(client: GraphQLClient, count: number, label: string): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  await runConcurrent(count, 16, async (i) => {
    await client.request(ENROLL, {
      input: { familyId: ids[i], familyName: `${label} family ${i}`, enrollmentDate: "2026-01-05", parentName: `Parent ${i}`, email: `parent${i}@example.com` },
    });
  });
  return ids;
}

let paymentSeq = 0;
function payment(familyId: string) {
  paymentSeq++;
  return { familyId, amountCents: 5_000 + (paymentSeq % 997), paidOn: "2026-11-02", dueOn: "2026-11-01", method: "CARD", transactionId: `bench-${process.pid}-${paymentSeq}` };
}

/** GraphQL recordPayment mutations over HTTP, `inFlight` at a time. */
export async function commandE2e(client: GraphQLClient, families: string[], count = 10_000, inFlight = 16) {
  const { latenciesMs, elapsedMs } = await runConcurrent(count, inFlight, async (i) => {
    await client.request(PAY, { input: payment(families[i % families.length]!) });
  });
  return latencyFigures(latenciesMs, elapsedMs);
}

/**
 * Sends `ratePerSec` recordPayment mutations a second for `seconds` (open loop: sends keep their
 * schedule whatever the answers do) and measures, for each receipt, how long until the family's
 * read-model row shows that version. A watcher reads the pending families' versions in one query
 * whenever family-detail announces a commit that touches one of them (its stream-changes channel,
 * the one subscriptions use), and every WATCH_FALLBACK_MS regardless, since pub/sub may lose a
 * message. The time is taken when the read returns: the change is seen in the read model, not
 * taken on the announcement's word. (Polling every millisecond instead made three to four times as
 * many reads, on the same 2 cores as what it measures.)
 */
export interface LagOptions {
  /** Where family-detail announces its commits: `streamChangesChannel(prefix, "family-detail")`. */
  changes: { redisUrl: string; channel: string };
  /**
   * A read model still behind a minute after the load: "throw" (default), or "report" the lags seen
   * so far with the receipts still pending (`pendingAtEnd`), for loads the machine may not sustain.
   */
  behind?: "throw" | "report";
  /** Called with each failed command (the first tells why a load was not sustained). */
  onError?: (error: unknown) => void;
}

/** The channel on which family-detail announces its commits, for `LagOptions.changes`. */
export function familyDetailChanges(env: { redisUrl: string; queuePrefix: string }): LagOptions["changes"] {
  return { redisUrl: env.redisUrl, channel: streamChangesChannel(env.queuePrefix, "family-detail") };
}

/** Without an announcement, the watcher reads this often anyway. */
const WATCH_FALLBACK_MS = 20;

export async function projectionLag(client: GraphQLClient, pool: pg.Pool, tenantId: string, families: string[], ratePerSec: number, seconds: number, options: LagOptions) {
  const total = ratePerSec * seconds;
  const pending = new Map<string, { version: number; at: number }[]>();
  const samples: { sentAtMs: number; lagMs: number }[] = [];
  let errors = 0;
  let sent = 0;
  let answered = 0;
  const start = performance.now();

  // Set when an announced commit touched a pending family; the watcher reads at once.
  let announced = false;
  let wake: (() => void) | null = null;
  const readSoon = () => {
    announced = true;
    wake?.();
  };
  // The highest version announced per family: a commit may be announced before its receipt
  // arrives, and that receipt must not wait for the fallback read.
  const announcedVersion = new Map<string, number>();
  const subscriber = new Redis(options.changes.redisUrl, { lazyConnect: true });
  subscriber.on("error", () => undefined); // the fallback read covers a subscriber that went away
  subscriber.on("message", (_channel: string, message: string) => {
    let touched = false;
    for (const change of decodeStreamChanges(message)) {
      if (change.tenantId !== tenantId) continue;
      if (change.version > (announcedVersion.get(change.streamId) ?? 0)) announcedVersion.set(change.streamId, change.version);
      touched ||= pending.has(change.streamId);
    }
    if (touched) readSoon();
  });
  await subscriber.connect();
  await subscriber.subscribe(options.changes.channel);
  const nextRead = async () => {
    if (announced) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, WATCH_FALLBACK_MS);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    wake = null;
  };

  let watching = true;
  const watcher = (async () => {
    while (watching || pending.size > 0) {
      if (pending.size === 0) {
        await sleep(1);
        continue;
      }
      announced = false;
      const ids = [...pending.keys()];
      const rows = await pool.query<{ family_id: string; version: number }>({
        name: "lag_watch",
        text: "SELECT family_id::text, version FROM family_views WHERE tenant_id = $1 AND family_id = ANY($2::uuid[])",
        values: [tenantId, ids],
      });
      const now = performance.now();
      for (const row of rows.rows) {
        const waiting = pending.get(row.family_id);
        if (!waiting) continue;
        const still = waiting.filter((w) => {
          if (row.version < w.version) return true;
          samples.push({ sentAtMs: w.at - start, lagMs: now - w.at });
          return false;
        });
        if (still.length) pending.set(row.family_id, still);
        else pending.delete(row.family_id);
      }
      if (now - start > (seconds + 60) * 1000) {
        if (options.behind !== "report") throw new Error(`read model did not catch up: ${pending.size} families pending`);
        break;
      }
      await nextRead();
    }
  })();
  // Its failure (the read model not catching up) is thrown by `await watcher` below; until then it
  // must not be an unhandled rejection, which would end the process with its children left running.
  watcher.catch(() => undefined);

  const sends: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / ratePerSec;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    sent++;
    const familyId = families[i % families.length]!;
    sends.push(
      client.request<{ recordPayment: { version: number } }>(PAY, { input: payment(familyId) }).then(
        (data) => {
          answered++;
          const list = pending.get(familyId) ?? [];
          list.push({ version: data.recordPayment.version, at: performance.now() });
          pending.set(familyId, list);
          if ((announcedVersion.get(familyId) ?? 0) >= data.recordPayment.version) readSoon();
        },
        (error: unknown) => {
          errors++;
          options.onError?.(error);
        },
      ),
    );
  }
  await Promise.all(sends);
  const sendSeconds = (performance.now() - start) / 1000;
  watching = false;
  try {
    await watcher;
  } finally {
    subscriber.disconnect();
  }
  const lags = samples.map((s) => s.lagMs).sort((a, b) => a - b);
  let pendingAtEnd = 0;
  for (const list of pending.values()) pendingAtEnd += list.length;
  return {
    figures: { p50Ms: round(percentile(lags, 50), 2), p99Ms: round(percentile(lags, 99), 2), commands: answered, errors, achievedPerSec: round(sent / sendSeconds), pendingAtEnd },
    series: samples.sort((a, b) => a.sentAtMs - b.sentAtMs).map((s) => [round(s.sentAtMs / 1000, 3), round(s.lagMs, 2)] as [number, number]),
  };
}

/**
 * The family-by-id query as fast as it goes: `count` requests, `inFlight` at a time, after a
 * warm-up, spread over the families like queryLatencies.
 */
export async function familyByIdThroughput(client: GraphQLClient, familyIds: string[], count = 10_000, inFlight = 16) {
  const query = (i: number) => client.request(FAMILY, { id: familyIds[(i * 7919) % familyIds.length] });
  await runConcurrent(500, inFlight, async (i) => {
    await query(i);
  });
  const { latenciesMs, elapsedMs } = await runConcurrent(count, inFlight, async (i) => {
    await query(i);
  });
  return latencyFigures(latenciesMs, elapsedMs);
}

const AT_RISK = `query { atRiskFamilies { familyId familyName riskScore riskTier recommendedIntervention daysSinceContact } }`;
const SEARCH = `query S($term: String!) { searchFamilies(term: $term) { id familyName } }`;

/** Query latencies over HTTP, one request at a time, p50 of each. */
export async function queryLatencies(client: GraphQLClient, familyIds: string[], searchTerms: string[], repeats = 300) {
  const atRisk = AT_RISK;
  const search = SEARCH;
  async function p50(run: (i: number) => Promise<unknown>) {
    for (let i = 0; i < 20; i++) await run(i); // warm-up
    const { latenciesMs } = await runConcurrent(repeats, 1, async (i) => {
      await run(i);
    });
    return round(percentile(latenciesMs.sort((a, b) => a - b), 50), 3);
  }
  return {
    familyByIdP50Ms: await p50((i) => client.request(FAMILY, { id: familyIds[(i * 7919) % familyIds.length] })),
    atRiskP50Ms: await p50(() => client.request(atRisk)),
    searchP50Ms: await p50((i) => client.request(search, { term: searchTerms[i % searchTerms.length] })),
  };
}

/**
 * The same query latencies for two gateways, interleaved request by request (which of the two goes
 * first alternates), so that whatever else the machine does meanwhile weighs on both alike: p50 of
 * each query for each.
 */
export async function pairedQueryLatencies(clients: { a: GraphQLClient; b: GraphQLClient }, familyIds: string[], searchTerms: string[], repeats = 300) {
  type Figures = { familyByIdP50Ms: number; atRiskP50Ms: number; searchP50Ms: number };
  const out = { a: {} as Figures, b: {} as Figures };
  const queries: [keyof Figures, (client: GraphQLClient, i: number) => Promise<unknown>][] = [
    ["familyByIdP50Ms", (client, i) => client.request(FAMILY, { id: familyIds[(i * 7919) % familyIds.length] })],
    ["atRiskP50Ms", (client) => client.request(AT_RISK)],
    ["searchP50Ms", (client, i) => client.request(SEARCH, { term: searchTerms[i % searchTerms.length] })],
  ];
  for (const [figure, run] of queries) {
    for (let i = 0; i < 20; i++) for (const client of [clients.a, clients.b]) await run(client, i); // warm-up
    const latencies = { a: [] as number[], b: [] as number[] };
    for (let i = 0; i < repeats; i++) {
      for (const who of i % 2 ? (["b", "a"] as const) : (["a", "b"] as const)) {
        const started = performance.now();
        await run(clients[who], i);
        latencies[who].push(performance.now() - started);
      }
    }
    for (const who of ["a", "b"] as const) out[who][figure] = round(percentile(latencies[who].sort((x, y) => x - y), 50), 3);
  }
  return out;
}
