// CONTRACT section 6 as a frontend meets it: reading one's own writes, and live updates.
import { setTimeout as sleep } from "node:timers/promises";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import type { GraphQLClient } from "../graphql-client";
import { percentile, round, runConcurrent } from "../stats";

const PAY_WITH_FAMILY = `mutation Pay($input: RecordPaymentInput!) { recordPayment(input: $input) { version position family { id version totalPaidCents } } }`;
const PAY = `mutation Pay($input: RecordPaymentInput!) { recordPayment(input: $input) { version position } }`;
const FAMILY = `query F($id: ID!) { family(id: $id) { id version totalPaidCents } }`;
const FAMILY_CHANGED = `subscription Changed($id: ID!) { familyChanged(id: $id) { version } }`;

let seq = 0;
function payment(familyId: string) {
  seq++;
  return { familyId, amountCents: 3_000 + (seq % 991), paidOn: "2026-11-02", method: "ACH", transactionId: `ryw-${process.pid}-${seq}` };
}

const figures = (latencies: number[]) => {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { p50Ms: round(percentile(sorted, 50), 2), p99Ms: round(percentile(sorted, 99), 2) };
};

/**
 * read_your_writes: (1) recordPayment selecting `family`, which answers once the family read model
 * shows the payment (p50Ms, p99Ms: the headline); (2) a plain recordPayment, then right after its
 * receipt `family(id)` with X-Consistent-With: the query's own latency (consistentQuery*) and the
 * write-then-read total (writeThenRead*). `inFlight` clients at a time, each on its own family, so
 * that every wait is a real one (no client is ahead of its own write).
 */
export async function readYourWrites(client: GraphQLClient, families: string[], count = 2_000, inFlight = 8) {
  // A wait past CONSISTENCY_TIMEOUT_MS (an overloaded machine) is counted, with the time it took.
  let timeouts = 0;
  const counted = async <T>(request: Promise<T>): Promise<T | null> => {
    try {
      return await request;
    } catch (error) {
      if (!(error instanceof Error) || !error.message.includes("CONSISTENCY_TIMEOUT")) throw error;
      timeouts++;
      return null;
    }
  };
  const withFamily = await runConcurrent(count, inFlight, async (i) => {
    const familyId = families[i % families.length]!;
    const data = await counted(client.request<{ recordPayment: { version: number; family: { version: number } | null } }>(PAY_WITH_FAMILY, { input: payment(familyId) }));
    if (data && (!data.recordPayment.family || data.recordPayment.family.version < data.recordPayment.version)) throw new Error("a receipt's family is older than the receipt");
  });
  const queryMs: number[] = [];
  const totalMs: number[] = [];
  await runConcurrent(count, inFlight, async (i) => {
    const familyId = families[i % families.length]!;
    const t0 = performance.now();
    const paid = await client.request<{ recordPayment: { version: number; position: string } }>(PAY, { input: payment(familyId) });
    const t1 = performance.now();
    const read = await counted(client.request<{ family: { version: number } | null }>(FAMILY, { id: familyId }, { "x-consistent-with": paid.recordPayment.position }));
    const t2 = performance.now();
    if (read && (!read.family || read.family.version < paid.recordPayment.version)) throw new Error("a read with X-Consistent-With missed the write");
    queryMs.push(t2 - t1);
    totalMs.push(t2 - t0);
  });
  const query = figures(queryMs);
  const total = figures(totalMs);
  return {
    ...figures(withFamily.latenciesMs),
    consistentQueryP50Ms: query.p50Ms,
    consistentQueryP99Ms: query.p99Ms,
    writeThenReadP50Ms: total.p50Ms,
    writeThenReadP99Ms: total.p99Ms,
    timeouts,
  };
}

/** The gateway's count of familyChanged subscriptions in place, from its /metrics. */
async function subscriptionsOpen(baseUrl: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const match = /^gateway_subscriptions_open\{[^}]*field="familyChanged"[^}]*\} (\d+)/m.exec(text);
  return match ? Number(match[1]) : 0;
}

/**
 * subscription_fanout: `subscribers` WebSocket clients, spread over the gateways, each watching one
 * family with familyChanged; `ratePerSec` recordPayment mutations a second for `seconds` (open loop,
 * spread over the same families and gateways). For each receipt, the time until its subscriber got
 * a message with that version or a later one (0 when the message came first: it may overtake the
 * HTTP answer).
 */
export async function subscriptionFanout(gateways: { client: GraphQLClient; url: string }[], token: string, families: string[], subscribers = 200, ratePerSec = 500, seconds = 20) {
  const watched = families.slice(0, subscribers);
  if (watched.length < subscribers) throw new Error(`subscription_fanout needs ${subscribers} families`);
  /** Per family: the newest version its subscriber received, and when. */
  const received = new Map<string, { version: number; at: number }>();
  /** Per family: receipts whose message has not come yet. */
  const waiting = new Map<string, { version: number; at: number }[]>();
  const lags: number[] = [];
  let messages = 0;
  let overtook = 0;
  const clients: Client[] = [];
  const onMessage = (familyId: string, version: number) => {
    const at = performance.now();
    messages++;
    const last = received.get(familyId);
    if (!last || last.version < version) received.set(familyId, { version, at });
    const list = waiting.get(familyId);
    if (!list) return;
    const still = list.filter((w) => {
      if (w.version > version) return true;
      lags.push(at - w.at);
      return false;
    });
    if (still.length) waiting.set(familyId, still);
    else waiting.delete(familyId);
  };
  try {
    watched.forEach((familyId, i) => {
      const client = createClient({
        url: `${gateways[i % gateways.length]!.url.replace(/^http/, "ws")}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${token}` },
        lazy: false,
        retryAttempts: 0,
        onNonLazyError: () => undefined,
      });
      clients.push(client);
      client.subscribe<{ familyChanged: { version: number } }>(
        { query: FAMILY_CHANGED, variables: { id: familyId } },
        { next: (result) => result.data && onMessage(familyId, result.data.familyChanged.version), error: () => undefined, complete: () => undefined },
      );
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const open = (await Promise.all(gateways.map((g) => subscriptionsOpen(g.url)))).reduce((a, b) => a + b, 0);
      if (open >= subscribers) break;
      if (Date.now() > deadline) throw new Error(`only ${open} of ${subscribers} subscriptions in place`);
      await sleep(100);
    }

    const total = ratePerSec * seconds;
    const start = performance.now();
    let errors = 0;
    const sends: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / ratePerSec;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      const familyId = watched[i % watched.length]!;
      const gateway = gateways[i % gateways.length]!;
      sends.push(
        gateway.client.request<{ recordPayment: { version: number } }>(PAY, { input: payment(familyId) }).then(
          (data) => {
            const version = data.recordPayment.version;
            const at = performance.now();
            const last = received.get(familyId);
            if (last && last.version >= version) {
              overtook++;
              lags.push(0);
              return;
            }
            const list = waiting.get(familyId) ?? [];
            list.push({ version, at });
            waiting.set(familyId, list);
          },
          () => {
            errors++;
          },
        ),
      );
    }
    await Promise.all(sends);
    const settle = Date.now() + 30_000;
    while (waiting.size > 0 && Date.now() < settle) await sleep(10);
    const missed = [...waiting.values()].reduce((n, list) => n + list.length, 0);
    return { ...figures(lags), delivered: lags.length, missed, messages, messageFirst: overtook, errors };
  } finally {
    await Promise.allSettled(clients.map((c) => c.dispose()));
  }
}
