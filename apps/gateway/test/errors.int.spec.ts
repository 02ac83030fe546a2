// Every error code of the contract, provoked over real HTTP, with its precedence; and every refused
// or invalid command appends nothing.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGateway } from "../src/server";
import { senderRole, type StreamKind } from "../src/testing/feature-kit";
import { todayUtc } from "./support/dates";
import { badArguments, badInputs, creatorOf, M, MUTATIONS, mutationsOn, Q, validInput, type MutationName } from "./support/operations";
import { postGraphQL, startStack, testConfig, type GraphQLResult, type Stack } from "./support/stack";

let stack: Stack;
const tenant = `t-errors-${randomUUID().slice(0, 8)}`;
const today = todayUtc();
let coordinator: string;
let finance: string;
let admin: string;

beforeAll(async () => {
  stack = await startStack("coop_test_gw_errors");
  coordinator = await stack.token(tenant, ["coordinator"]);
  finance = await stack.token(tenant, ["finance"]);
  admin = await stack.token(tenant, ["admin"]);
});

afterAll(async () => {
  await stack?.stop();
});

function firstError(result: GraphQLResult<unknown>) {
  const error = result.body.errors?.[0];
  if (!error) throw new Error(`expected an error, got ${JSON.stringify(result.body)}`);
  return error;
}

async function enroll(familyId = randomUUID()) {
  const result = await stack.gql(M.enrollFamily, { input: validInput("enrollFamily", familyId, today) }, { token: coordinator });
  expect(result.body.errors).toBeUndefined();
  return familyId;
}

/** A token of a role the mutation allows (not admin, where another role will do). */
function senderOf(name: MutationName): string {
  return { admin, coordinator, finance }[senderRole(MUTATIONS[name].roles)];
}

/** A new stream of the kind, through the mutation that creates it. */
async function create(kind: StreamKind) {
  const name = creatorOf(kind);
  const id = randomUUID();
  const result = await stack.gql(M[name], { input: validInput(name, id, today) }, { token: senderOf(name) });
  expect(result.body.errors).toBeUndefined();
  return id;
}

/** Sends a mutation and checks that the tenant's event count did not move. */
async function refused(name: MutationName, input: Record<string, unknown>, token: string | null = senderOf(name)) {
  const before = await stack.eventCount(tenant);
  const result = await stack.gql(M[name], { input }, { token });
  expect(result.status).toBeLessThan(500);
  expect(await stack.eventCount(tenant)).toBe(before);
  return result;
}

describe("UNAUTHENTICATED", () => {
  it("no token: 401 with the code, for queries and mutations", async () => {
    const query = await stack.gql(Q.family, { id: randomUUID() }, { token: null });
    expect(query.status).toBe(401);
    expect(firstError(query).extensions?.code).toBe("UNAUTHENTICATED");
    const mutation = await refused("addChild", validInput("addChild", randomUUID(), today), null);
    expect(mutation.status).toBe(401);
    expect(firstError(mutation).extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("introspection alone needs no token (the playground loads the schema)", async () => {
    const result = await stack.gql("{ __schema { queryType { name } } }", undefined, { token: null });
    expect(result.status).toBe(200);
    expect(result.body.data).toEqual({ __schema: { queryType: { name: "Query" } } });
    // ...but introspection next to a real field does.
    const mixed = await stack.gql(`{ __typename family(id: "${randomUUID()}") { id } }`, undefined, { token: null });
    expect(firstError(mixed).extensions?.code).toBe("UNAUTHENTICATED");
  });
});

describe("FORBIDDEN", () => {
  it("a role that the field's rule does not name, HTTP 403, nothing appended", async () => {
    const familyId = await enroll();
    const result = await refused("recordPayment", validInput("recordPayment", familyId, today), coordinator);
    expect(result.status).toBe(403);
    expect(firstError(result).extensions?.code).toBe("FORBIDDEN");
  });
});

describe("BAD_USER_INPUT names the field", () => {
  // Every module's one-field-wrong inputs, on an existing stream of the mutation's kind.
  const streams = new Map<StreamKind, string>();
  beforeAll(async () => {
    for (const kind of new Set(Object.values(MUTATIONS).map((m) => m.stream.kind))) streams.set(kind, await create(kind));
  });
  for (const { name, mutation, input, field } of badInputs) {
    it(`${name} -> field ${field}, nothing appended`, async () => {
      const mutationName = mutation as MutationName;
      const result = await refused(mutationName, input(streams.get(MUTATIONS[mutationName].stream.kind)!, today));
      const error = firstError(result);
      expect(error.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
    });
  }

  for (const { name, document, variables, field } of badArguments) {
    it(`query arguments: ${name} -> field ${field}`, async () => {
      const result = await stack.gql(document, variables, { token: admin });
      expect(result.status).toBeLessThan(500);
      expect(firstError(result).extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
    });
  }

  it("analytics over exactly ten years, and first equal to limit, are allowed", async () => {
    const ok = await stack.gql(Q.paymentAnalytics, { from: "2010-01-01", to: "2020-01-01" }, { token: admin });
    expect(ok.body.errors).toBeUndefined();
    const page = await stack.gql(Q.searchFamiliesPage, { term: "a", first: 20, limit: 20 }, { token: admin });
    expect(page.body.errors).toBeUndefined();
  });

  it("a document that does not parse or validate: BAD_USER_INPUT, HTTP 400", async () => {
    for (const query of ["{ family(id: ", "{ nope }", "query { family(id: \"x\") { nope } }", "mutation { x }"]) {
      const result = await stack.gql(query, undefined, { token: admin });
      expect(result.status).toBe(400);
      expect(firstError(result).extensions).toMatchObject({ code: "BAD_USER_INPUT" });
      expect(typeof firstError(result).extensions?.field).toBe("string");
    }
  });

  it("depth and complexity limits: BAD_USER_INPUT, HTTP 400", async () => {
    const tooDeepIntrospection = `{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }`;
    const introspection = await stack.gql(tooDeepIntrospection, undefined, { token: admin });
    expect(introspection.status).toBe(400);
    expect(firstError(introspection).extensions?.code).toBe("BAD_USER_INPUT");
    const manyRoots = `{ ${Array.from({ length: 60 }, (_, i) => `f${i}: family(id: "${randomUUID()}") { id }`).join(" ")} }`;
    const complex = await stack.gql(manyRoots, undefined, { token: admin });
    expect(complex.status).toBe(400);
    expect(firstError(complex).extensions?.code).toBe("BAD_USER_INPUT");
    expect(firstError(complex).message).toMatch(/too complex/);
    const fragments = `query { ...A } fragment A on Query { ...B ...B } fragment B on Query { ...C ...C } fragment C on Query { ...D ...D }
      fragment D on Query { ...E ...E } fragment E on Query { ...F ...F } fragment F on Query { ...G ...G } fragment G on Query { ...H ...H }
      fragment H on Query { ...I ...I } fragment I on Query { ...J ...J } fragment J on Query { ...K ...K } fragment K on Query { __typename }`;
    const exploding = await stack.gql(fragments, undefined, { token: admin });
    expect(exploding.status).toBe(400);
    expect(firstError(exploding).extensions?.code).toBe("BAD_USER_INPUT");
  });
});

describe("NOT_FOUND and CONFLICT", () => {
  it("every mutation on an unknown stream (family, coordinator): NOT_FOUND, nothing appended", async () => {
    const unknown = randomUUID();
    for (const name of mutationsOn()) {
      const result = await refused(name, validInput(name, unknown, today));
      expect(firstError(result).extensions?.code, name).toBe("NOT_FOUND");
    }
  });

  it("ALREADY_ENROLLED, DUPLICATE_TRANSACTION, FAMILY_WITHDRAWN, COMMAND_ID_REUSED", async () => {
    const familyId = await enroll();
    const again = await refused("enrollFamily", validInput("enrollFamily", familyId, today));
    expect(firstError(again).extensions).toMatchObject({ code: "CONFLICT", reason: "ALREADY_ENROLLED" });

    const payment = { ...validInput("recordPayment", familyId, today), transactionId: "tx-dup" };
    expect((await stack.gql(M.recordPayment, { input: payment }, { token: finance })).body.errors).toBeUndefined();
    const duplicate = await refused("recordPayment", payment);
    expect(firstError(duplicate).extensions).toMatchObject({ code: "CONFLICT", reason: "DUPLICATE_TRANSACTION" });

    const commandId = randomUUID();
    const contact = { ...validInput("recordContact", familyId, today), commandId };
    expect((await stack.gql(M.recordContact, { input: contact }, { token: coordinator })).body.errors).toBeUndefined();
    const reused = await refused("recordContact", { ...contact, note: "different input" });
    expect(firstError(reused).extensions).toMatchObject({ code: "CONFLICT", reason: "COMMAND_ID_REUSED" });
    const reusedByAnother = await refused("assignCoordinator", { ...validInput("assignCoordinator", familyId, today), commandId });
    expect(firstError(reusedByAnother).extensions).toMatchObject({ code: "CONFLICT", reason: "COMMAND_ID_REUSED" });

    expect((await stack.gql(M.withdrawFamily, { input: validInput("withdrawFamily", familyId, today) }, { token: coordinator })).body.errors).toBeUndefined();
    // Every mutation but forgetting: a withdrawn family may still be forgotten.
    for (const name of mutationsOn("family").filter((n) => n !== "forgetFamily")) {
      const result = await refused(name, validInput(name, familyId, today, 7));
      expect(firstError(result).extensions, name).toMatchObject({ code: "CONFLICT", reason: "FAMILY_WITHDRAWN" });
    }
    const enrollWithdrawn = await refused("enrollFamily", validInput("enrollFamily", familyId, today));
    expect(firstError(enrollWithdrawn).extensions).toMatchObject({ code: "CONFLICT", reason: "ALREADY_ENROLLED" });
  });

  it("FAMILY_FORGOTTEN: every mutation on a forgotten family, enrolment and forgetting included, checked before FAMILY_WITHDRAWN; a resent forget gets its first receipt", async () => {
    const familyId = await enroll();
    expect((await stack.gql(M.withdrawFamily, { input: validInput("withdrawFamily", familyId, today) }, { token: coordinator })).body.errors).toBeUndefined();
    const forget = { familyId, commandId: randomUUID() };
    const first = await stack.gql<{ forgetFamily: { version: number; events: string[] } }>(M.forgetFamily, { input: forget }, { token: admin });
    expect(first.body).toEqual({ data: { forgetFamily: expect.objectContaining({ version: 3, events: ["FamilyForgotten"] }) } });
    const again = await stack.gql(M.forgetFamily, { input: forget }, { token: admin });
    expect(again.body).toEqual(first.body);
    for (const name of [...mutationsOn("family"), "enrollFamily" as const]) {
      const result = await refused(name, validInput(name, familyId, today, 8));
      expect(firstError(result).extensions, name).toMatchObject({ code: "CONFLICT", reason: "FAMILY_FORGOTTEN" });
    }
    // Only an admin may forget.
    const notAdmin = await stack.gql(M.forgetFamily, { input: { familyId: await enroll() } }, { token: coordinator });
    expect(firstError(notAdmin).extensions?.code).toBe("FORBIDDEN");
  });
});

describe("precedence: UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT, NOT_FOUND, CONFLICT", () => {
  it("no token and bad input: UNAUTHENTICATED", async () => {
    const result = await refused("enrollFamily", { familyName: 5 }, null);
    expect(result.status).toBe(401);
    expect(firstError(result).extensions?.code).toBe("UNAUTHENTICATED");
    const badDocument = await stack.gql("{ nope ", undefined, { token: null });
    expect(firstError(badDocument).extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("finance enrolling with bad input: FORBIDDEN", async () => {
    const invalid = await refused("enrollFamily", { familyName: "", enrollmentDate: "not a date", parentName: 5, email: "x" }, finance);
    expect(firstError(invalid).extensions?.code).toBe("FORBIDDEN");
    const missing = await refused("enrollFamily", {}, finance);
    expect(firstError(missing).extensions?.code).toBe("FORBIDDEN");
  });

  it("bad input on an unknown family: BAD_USER_INPUT, not NOT_FOUND", async () => {
    const result = await refused("recordPayment", { ...validInput("recordPayment", randomUUID(), today), amountCents: 0 });
    expect(firstError(result).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "amountCents" });
  });

  it("bad input on a withdrawn family: BAD_USER_INPUT, not CONFLICT; unknown family beats nothing", async () => {
    const familyId = await enroll();
    await stack.gql(M.withdrawFamily, { input: validInput("withdrawFamily", familyId, today) }, { token: coordinator });
    const result = await refused("addChild", { familyId, childName: "", birthDate: "2020-01-01" });
    expect(firstError(result).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "childName" });
  });
});

describe("CONCURRENCY_CONFLICT", () => {
  it("two gateways whose buses may not retry, racing on one stream", async () => {
    const a = await stack.startGateway({ commandBus: { maxRetries: 0, cacheSize: 0 } });
    const b = await stack.startGateway({ commandBus: { maxRetries: 0, cacheSize: 0 } });
    const familyId = await enroll();
    let conflicts = 0;
    for (let round = 0; round < 10 && conflicts === 0; round++) {
      const before = await stack.eventCount(tenant);
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          postGraphQL(i % 2 ? a.url : b.url, M.recordPayment, { input: validInput("recordPayment", familyId, today, i) }, { token: finance }),
        ),
      );
      const codes = results.map((r) => r.body.errors?.[0]?.extensions?.code ?? "ok");
      for (const code of codes) expect(["ok", "CONCURRENCY_CONFLICT"]).toContain(code);
      conflicts = codes.filter((c) => c === "CONCURRENCY_CONFLICT").length;
      // Acknowledged commands appended, conflicting ones nothing.
      expect(await stack.eventCount(tenant)).toBe(before + codes.filter((c) => c === "ok").length);
    }
    expect(conflicts).toBeGreaterThan(0);
  });
});

describe("INTERNAL_SERVER_ERROR", () => {
  it("a dead database: INTERNAL_SERVER_ERROR without internals in production; bad input stays BAD_USER_INPUT; /readyz 503", async () => {
    const dead = await createGateway(
      testConfig({ NODE_ENV: "production", DATABASE_URL: "postgresql://postgres@127.0.0.1:1/nowhere", REDIS_URL: "redis://127.0.0.1:1", QUEUE_PREFIX: "gwtest-dead" }),
      { host: "127.0.0.1" },
    );
    try {
      const token = await stack.token(tenant, ["admin"]);
      const mutation = await postGraphQL(dead.url, M.addChild, { input: validInput("addChild", randomUUID(), today) }, { token });
      expect(mutation.status).toBeLessThan(500);
      const error = firstError(mutation);
      expect(error.extensions?.code).toBe("INTERNAL_SERVER_ERROR");
      expect(JSON.stringify(mutation.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|stack|at /);
      expect(error.extensions?.stacktrace).toBeUndefined();

      const query = await postGraphQL(dead.url, Q.family, { id: randomUUID() }, { token });
      expect(firstError(query).extensions?.code).toBe("INTERNAL_SERVER_ERROR");
      expect(JSON.stringify(query.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|stacktrace/);

      const bad = await postGraphQL(dead.url, M.addChild, { input: { ...validInput("addChild", randomUUID(), today), childName: "" } }, { token });
      expect(firstError(bad).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "childName" });
      const badDocument = await postGraphQL(dead.url, "{ nope }", undefined, { token });
      expect(badDocument.status).toBe(400);
      expect(firstError(badDocument).extensions?.stacktrace).toBeUndefined();

      const ready = await fetch(`${dead.url}/readyz`);
      expect(ready.status).toBe(503);
      // Which dependency is down, and nothing of why: no driver message, no host.
      expect(await ready.json()).toEqual({ status: "unavailable", checks: { postgres: "down", redis: "down" } });
      expect((await fetch(`${dead.url}/healthz`)).status).toBe(200);
    } finally {
      await dead.close();
    }
  });

  it("development mode keeps messages but codes are the same", async () => {
    const ready = await fetch(`${stack.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", checks: { postgres: "up", redis: "up" } });
  });
});

describe("errors are counted in /metrics", () => {
  it("exposes request, command and error metrics", async () => {
    const text = await (await fetch(`${stack.url}/metrics`)).text();
    expect(text).toMatch(/gateway_graphql_request_duration_seconds_bucket\{[^}]*operation="addChild"/);
    expect(text).toMatch(/gateway_command_duration_seconds_count\{[^}]*command="RecordPayment",outcome="ok"/);
    expect(text).toMatch(/gateway_errors_total\{[^}]*code="BAD_USER_INPUT"/);
    expect(text).toMatch(/process_cpu_user_seconds_total/);
  });
});
