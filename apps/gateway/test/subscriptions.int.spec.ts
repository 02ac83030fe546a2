// Live updates (CONTRACT section 6) over real WebSockets (graphql-ws client on ws) with a real
// worker process: a change arrives after the read model committed it; another tenant's never does;
// role rules as for queries; the token checked on connection_init and at its expiry (4403); per
// family, versions only go up on a subscription; every gateway delivers; the Redis messages carry
// no personal data; closing the gateway ends its sockets.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { signToken } from "../src/auth/token";
import type { Gateway } from "../src/server";
import { todayUtc } from "./support/dates";
import { M, validInput } from "./support/operations";
import { ok, type Receipt } from "./support/results";
import { postGraphQL, startStack, TEST_JWT_SECRET, type Stack } from "./support/stack";
import { subscribe, type Live } from "./support/subscriptions";
import { waitUntil } from "./support/wait";

let stack: Stack;
const tenant = `t-subs-${randomUUID().slice(0, 8)}`;
const otherTenant = `t-subs-other-${randomUUID().slice(0, 8)}`;
const today = todayUtc();
let coordinator: string;
let finance: string;
let admin: string;
const opened: Live<unknown>[] = [];
/** Every message published on the stack's Redis channels, as sent. */
const redisMessages: { channel: string; message: string }[] = [];
let redisWatcher: Redis;

interface FamilyMessage {
  familyChanged: { id: string; familyName: string; version: number; totalPaidCents: number };
}
interface ActivityMessage {
  tenantActivity: { familyId: string; version: number; position: string; events: string[] };
}

const FAMILY_CHANGED = "subscription Changed($id: ID!) { familyChanged(id: $id) { id familyName version totalPaidCents } }";
const TENANT_ACTIVITY = "subscription Activity { tenantActivity { familyId version position events } }";

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function live<T>(url: string, token: string | Record<string, unknown> | undefined, query: string, variables?: Record<string, unknown>): Live<T> {
  const params = typeof token === "string" ? bearer(token) : token;
  const subscription = subscribe<T>(url, params, query, variables);
  opened.push(subscription as Live<unknown>);
  return subscription;
}

/** Until `gateway` has this many subscriptions of the field in place (a subscription's start is not acknowledged by graphql-ws). */
async function registered(gateway: Gateway, field: "familyChanged" | "tenantActivity", atLeast: number) {
  await waitUntil(() => gateway.services.live.counts[field] >= atLeast, { timeoutMs: 30_000, what: `${atLeast} ${field} subscriptions` });
}

async function enroll(token: string, familyName: string, familyId: string = randomUUID(), url = stack.url): Promise<Receipt> {
  const input = { ...validInput("enrollFamily", familyId, today), familyName };
  return ok(await postGraphQL<{ enrollFamily: Receipt }>(url, M.enrollFamily, { input }, { token })).enrollFamily;
}

async function pay(familyId: string, n: number, url = stack.url): Promise<Receipt> {
  return ok(await postGraphQL<{ recordPayment: Receipt }>(url, M.recordPayment, { input: { ...validInput("recordPayment", familyId, today, n), amountCents: 100 } }, { token: finance })).recordPayment;
}

beforeAll(async () => {
  stack = await startStack("coop_test_gw_subs", { worker: true });
  coordinator = await stack.token(tenant, ["coordinator"], "coordinator-subs");
  finance = await stack.token(tenant, ["finance"], "finance-subs");
  admin = await stack.token(tenant, ["admin"], "admin-subs");
  redisWatcher = new Redis(stack.config.redisUrl, { maxRetriesPerRequest: 1 });
  redisWatcher.on("pmessage", (_pattern: string, channel: string, message: string) => redisMessages.push({ channel, message }));
  await redisWatcher.psubscribe(`*${stack.queuePrefix}*`);
});

// Each test counts the subscriptions it opens from zero.
afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map((s) => s.dispose()));
  await waitUntil(() => stack.gateway.services.live.counts.familyChanged === 0 && stack.gateway.services.live.counts.tenantActivity === 0, { what: "the subscriptions to end" });
});

afterAll(async () => {
  await Promise.allSettled(opened.map((s) => s.dispose()));
  redisWatcher?.disconnect();
  await stack?.stop();
});

describe("familyChanged", () => {
  it("sends the family after a change, once the read model has it", async () => {
    const familyId = (await enroll(coordinator, "Subs Watched")).streamId;
    const changes = live<FamilyMessage>(stack.url, finance, FAMILY_CHANGED, { id: familyId });
    await registered(stack.gateway, "familyChanged", 1);
    const receipt = await pay(familyId, 1);
    const message = await changes.next((m) => m.familyChanged.version === receipt.version);
    expect(message.familyChanged).toEqual({ id: familyId, familyName: "Subs Watched", version: receipt.version, totalPaidCents: 100 });
    // Sent after the commit: the read model shows it to a query at once.
    const read = ok(await stack.gql<{ family: { version: number } }>("query F($id: ID!) { family(id: $id) { version } }", { id: familyId }, { token: admin })).family;
    expect(read.version).toBeGreaterThanOrEqual(receipt.version);
    expect(changes.errors).toEqual([]);
  });

  it("never goes back: many quick commands on one family arrive in strictly increasing versions", async () => {
    const familyId = (await enroll(coordinator, "Subs Busy")).streamId;
    const changes = live<FamilyMessage>(stack.url, admin, FAMILY_CHANGED, { id: familyId });
    const activity = live<ActivityMessage>(stack.url, coordinator, TENANT_ACTIVITY);
    await registered(stack.gateway, "tenantActivity", 1);
    await waitUntil(() => stack.gateway.services.live.counts.familyChanged >= 1);
    // As fast as one client sends them: the worker applies them in commits of one or several.
    let last = 0;
    for (let n = 0; n < 30; n++) last = (await pay(familyId, 100 + n)).version;
    await changes.next((m) => m.familyChanged.version === last, `version ${last}`);
    await activity.next((m) => m.tenantActivity.familyId === familyId && m.tenantActivity.version === last, `activity version ${last}`);
    const versions = changes.messages.map((m) => m.familyChanged.version);
    for (let i = 1; i < versions.length; i++) expect(versions[i]).toBeGreaterThan(versions[i - 1]!);
    const activityVersions = activity.messages.filter((m) => m.tenantActivity.familyId === familyId).map((m) => m.tenantActivity.version);
    for (let i = 1; i < activityVersions.length; i++) expect(activityVersions[i]).toBeGreaterThan(activityVersions[i - 1]!);
    // Every payment is in the activity (in one message each, or together when one commit applied several).
    expect(activity.messages.filter((m) => m.tenantActivity.familyId === familyId).flatMap((m) => m.tenantActivity.events).filter((e) => e === "PaymentReceived")).toHaveLength(30);
  });
});

describe("tenantActivity", () => {
  it("sends each family command's effect with its version, position and event types", async () => {
    const activity = live<ActivityMessage>(stack.url, admin, TENANT_ACTIVITY);
    await registered(stack.gateway, "tenantActivity", 1);
    const receipt = await enroll(coordinator, "Subs Activity");
    const message = await activity.next((m) => m.tenantActivity.familyId === receipt.streamId);
    expect(message.tenantActivity).toEqual({ familyId: receipt.streamId, version: 1, position: receipt.position, events: ["FamilyEnrolled"] });
  });

  it("is refused to a role the matching queries refuse (finance): FORBIDDEN", async () => {
    const refused = live<ActivityMessage>(stack.url, finance, TENANT_ACTIVITY);
    await waitUntil(() => refused.errors.length > 0, { what: "the refusal" });
    expect(refused.errors[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(refused.messages).toEqual([]);
  });
});

describe("tenants", () => {
  it("never sends another tenant's change, even for the same family id", async () => {
    const familyId = (await enroll(coordinator, "Subs Tenant A")).streamId;
    const otherAdmin = await stack.token(otherTenant, ["admin"], "admin-other");
    const otherCoordinator = await stack.token(otherTenant, ["coordinator"], "coordinator-other");
    const foreignFamily = live<FamilyMessage>(stack.url, otherAdmin, FAMILY_CHANGED, { id: familyId });
    const foreignActivity = live<ActivityMessage>(stack.url, otherAdmin, TENANT_ACTIVITY);
    const ownFamily = live<FamilyMessage>(stack.url, admin, FAMILY_CHANGED, { id: familyId });
    await waitUntil(() => stack.gateway.services.live.counts.familyChanged >= 2 && stack.gateway.services.live.counts.tenantActivity >= 1);
    const paid = await pay(familyId, 7);
    await ownFamily.next((m) => m.familyChanged.version === paid.version);
    // The other tenant now enrolls a family of its own under the same id: that is the first thing its subscriptions see.
    await enroll(otherCoordinator, "Subs Tenant B", familyId);
    const first = await foreignFamily.next(() => true);
    expect(first.familyChanged).toEqual({ id: familyId, familyName: "Subs Tenant B", version: 1, totalPaidCents: 0 });
    await foreignActivity.next((m) => m.tenantActivity.familyId === familyId);
    expect(foreignFamily.messages.map((m) => m.familyChanged.familyName)).toEqual(["Subs Tenant B"]);
    expect(foreignActivity.messages.map((m) => m.tenantActivity.events)).toEqual([["FamilyEnrolled"]]);
  });
});

describe("the token", () => {
  it("missing, malformed or signed with another key: the socket closes with 4403", async () => {
    const forged = await signToken("another-secret-0123456789abcdef0123", { sub: "x", tenantId: tenant, roles: ["admin"] });
    for (const params of [undefined, {}, { authorization: "Bearer not-a-token" }, bearer(forged)]) {
      const refused = live<FamilyMessage>(stack.url, params, FAMILY_CHANGED, { id: randomUUID() });
      await waitUntil(() => refused.closeCode() !== undefined, { what: "the socket to close" });
      expect(refused.closeCode()).toBe(4403);
      expect(refused.messages).toEqual([]);
    }
  });

  it("expired already: 4403", async () => {
    const expired = await signToken(TEST_JWT_SECRET, { sub: "x", tenantId: tenant, roles: ["admin"], expiresIn: "-1m" });
    const refused = live<FamilyMessage>(stack.url, expired, FAMILY_CHANGED, { id: randomUUID() });
    await waitUntil(() => refused.closeCode() !== undefined, { what: "the socket to close" });
    expect(refused.closeCode()).toBe(4403);
  });

  it("expiring during the connection: the socket closes with 4403 then", async () => {
    const shortLived = await signToken(TEST_JWT_SECRET, { sub: "short", tenantId: tenant, roles: ["admin"], expiresIn: "2s" });
    const familyId = (await enroll(coordinator, "Subs Expiry")).streamId;
    const changes = live<FamilyMessage>(stack.url, shortLived, FAMILY_CHANGED, { id: familyId });
    await waitUntil(() => stack.gateway.services.live.counts.familyChanged >= 1);
    const paid = await pay(familyId, 1);
    // Connected and served while the token holds (with the verifier's clock tolerance).
    await changes.next((m) => m.familyChanged.version === paid.version);
    await waitUntil(() => changes.closeCode() !== undefined, { timeoutMs: 30_000, what: "the socket to close at expiry" });
    expect(changes.closeCode()).toBe(4403);
  });
});

describe("several gateways", () => {
  it("a change made through one gateway reaches the subscribers of every gateway", async () => {
    const other = await stack.startGateway();
    const familyId = (await enroll(coordinator, "Subs Across")).streamId;
    const here = live<FamilyMessage>(stack.url, admin, FAMILY_CHANGED, { id: familyId });
    const there = live<FamilyMessage>(other.url, admin, FAMILY_CHANGED, { id: familyId });
    const thereActivity = live<ActivityMessage>(other.url, coordinator, TENANT_ACTIVITY);
    await registered(other, "familyChanged", 1);
    await registered(other, "tenantActivity", 1);
    await registered(stack.gateway, "familyChanged", 1);
    const paid = await pay(familyId, 3);
    const a = await here.next((m) => m.familyChanged.version === paid.version);
    const b = await there.next((m) => m.familyChanged.version === paid.version);
    expect(b).toEqual(a);
    await thereActivity.next((m) => m.tenantActivity.familyId === familyId && m.tenantActivity.version === paid.version);

    // Closing a gateway ends its sockets (1001, going away); the other one keeps serving.
    await other.close();
    await waitUntil(() => there.closeCode() !== undefined, { what: "the closed gateway's socket to close" });
    expect(there.closeCode()).toBe(1001);
    const again = await pay(familyId, 4);
    await here.next((m) => m.familyChanged.version === again.version);
  });
});

describe("over WebSocket", () => {
  it("variables that do not fit: BAD_USER_INPUT naming the variable", async () => {
    const missing = live<FamilyMessage>(stack.url, admin, FAMILY_CHANGED, {});
    await waitUntil(() => missing.errors.length > 0, { what: "the refusal" });
    expect(missing.errors[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "id" });
  });

  it("serves subscriptions only: a query is refused as bad input", async () => {
    const query = live<unknown>(stack.url, admin, "query { projections { name } }");
    await waitUntil(() => query.errors.length > 0, { what: "the refusal" });
    expect(query.errors[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});

describe("Redis", () => {
  it("carries ids and versions, never personal data", async () => {
    const marker = `Zqmarker${randomUUID().slice(0, 6)}`;
    const activity = live<ActivityMessage>(stack.url, admin, TENANT_ACTIVITY);
    await registered(stack.gateway, "tenantActivity", 1);
    const familyId = randomUUID();
    const input = { ...validInput("enrollFamily", familyId, today), familyName: `${marker} Family`, parentName: `${marker} Parent`, email: `${marker.toLowerCase()}@example.com` };
    ok(await stack.gql(M.enrollFamily, { input }, { token: coordinator }));
    const changes = live<FamilyMessage>(stack.url, admin, FAMILY_CHANGED, { id: familyId });
    await waitUntil(() => stack.gateway.services.live.counts.familyChanged >= 1);
    const paid = await pay(familyId, 9);
    const message = await changes.next((m) => m.familyChanged.version === paid.version);
    expect(message.familyChanged.familyName).toBe(`${marker} Family`); // the gateway read it from the database
    await activity.next((m) => m.tenantActivity.familyId === familyId);
    const announcements = redisMessages.filter((m) => m.message.includes(familyId));
    expect(announcements.length).toBeGreaterThan(0);
    for (const { message: text } of redisMessages) expect(text.toLowerCase()).not.toContain(marker.toLowerCase());
  });
});
