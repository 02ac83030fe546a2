// The ceiling answers without I/O but through the real gateway's handling: tokens, roles,
// validation and the schema all apply, so the bench's ratio to it compares like with like.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signToken } from "../auth/token";
import { createLogger } from "../logger";
import { startCeilingGateway, type CeilingGateway } from "./ceiling";

const SECRET = "ceiling-test-secret";
const PAY = `mutation Pay($input: RecordPaymentInput!) { recordPayment(input: $input) { streamId version position events } }`;
const FAMILY = `query F($id: ID!) { family(id: $id) { id familyName status riskTier updatedAt } }`;

let ceiling: CeilingGateway;

async function post(query: string, variables: Record<string, unknown>, token?: string) {
  const response = await fetch(`${ceiling.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: { extensions?: Record<string, unknown> }[] } };
}

const payment = (familyId: string) => ({ familyId, amountCents: 5_000, paidOn: "2026-11-02", method: "CARD", transactionId: `tx-${randomUUID()}` });

beforeAll(async () => {
  ceiling = await startCeilingGateway({ jwtSecret: SECRET, nodeEnv: "production", logger: createLogger("silent"), port: 0, host: "127.0.0.1" });
});
afterAll(async () => {
  await ceiling?.close();
});

describe("the gateway ceiling", () => {
  it("answers a mutation with a receipt for the family it names", async () => {
    const token = await signToken(SECRET, { sub: "bench", tenantId: "t1", roles: ["finance"] });
    const familyId = randomUUID();
    const first = await post(PAY, { input: payment(familyId) }, token);
    const second = await post(PAY, { input: payment(familyId) }, token);
    expect(first.status).toBe(200);
    expect(first.body.data.recordPayment).toMatchObject({ streamId: familyId, events: ["RecordPayment"] });
    expect(second.body.data.recordPayment.version).toBeGreaterThan(first.body.data.recordPayment.version);
  });

  it("answers the family query with a row for the id asked", async () => {
    const token = await signToken(SECRET, { sub: "bench", tenantId: "t1", roles: ["coordinator"] });
    const id = randomUUID();
    const { body } = await post(FAMILY, { id }, token);
    expect(body.errors).toBeUndefined();
    expect(body.data.family).toMatchObject({ id, status: "ENROLLED", riskTier: "HIGH", updatedAt: "2026-11-02T10:00:00.000Z" });
  });

  it("keeps the gateway's token, role and input checks", async () => {
    const anonymous = await post(PAY, { input: payment(randomUUID()) });
    expect(anonymous.status).toBe(401);

    const coordinator = await signToken(SECRET, { sub: "bench", tenantId: "t1", roles: ["coordinator"] });
    const refused = await post(PAY, { input: payment(randomUUID()) }, coordinator);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");

    const finance = await signToken(SECRET, { sub: "bench", tenantId: "t1", roles: ["finance"] });
    const bad = await post(PAY, { input: { ...payment(randomUUID()), amountCents: "lots" } }, finance);
    expect(bad.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});
