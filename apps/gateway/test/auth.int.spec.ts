// Tokens and the access table over real HTTP.
import { randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROLES, type Role } from "../src/auth/viewer";
import { gatewayAccess } from "../src/graphql/schema";
import { todayUtc } from "./support/dates";
import { M, MUTATIONS, Q, QUERIES, SUBSCRIPTIONS, validInput, type MutationName, type QueryName } from "./support/operations";
import { postGraphQL, startStack, TEST_JWT_SECRET, type Stack } from "./support/stack";
import { subscribe } from "./support/subscriptions";
import { waitUntil } from "./support/wait";

let stack: Stack;
const tenant = `t-auth-${randomUUID().slice(0, 8)}`;
const today = todayUtc();
const key = new TextEncoder().encode(TEST_JWT_SECRET);

beforeAll(async () => {
  stack = await startStack("coop_test_gw_auth");
});

afterAll(async () => {
  await stack?.stop();
});

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);

async function sign(claims: Record<string, unknown>, options: { alg?: string; secret?: Uint8Array; exp?: number | null } = {}) {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: options.alg ?? "HS256" }).setIssuedAt();
  if (options.exp !== null) jwt.setExpirationTime(options.exp ?? now() + 600);
  return jwt.sign(options.secret ?? key);
}

async function codeFor(header: string | undefined) {
  const headers: Record<string, string> = header === undefined ? {} : { authorization: header };
  const result = await stack.gql(Q.family, { id: randomUUID() }, { token: null, headers });
  return { status: result.status, code: result.body.errors?.[0]?.extensions?.code ?? "ok", www: result.headers.get("www-authenticate") };
}

describe("tokens", () => {
  const good = { sub: "u1", tenant_id: tenant, roles: ["admin"] };

  it("a valid HS256 token with sub, tenant_id and roles is accepted", async () => {
    expect(await codeFor(`Bearer ${await sign(good)}`)).toMatchObject({ status: 200, code: "ok" });
    // The scheme is case-insensitive.
    expect(await codeFor(`bearer ${await sign(good)}`)).toMatchObject({ code: "ok" });
  });

  const cases: [string, () => Promise<string | undefined>][] = [
    ["missing", async () => undefined],
    ["empty header", async () => ""],
    ["not Bearer", async () => `Basic ${Buffer.from("a:b").toString("base64")}`],
    ["malformed", async () => "Bearer not-a-jwt"],
    ["three garbage parts", async () => "Bearer abc.def.ghi"],
    ["expired", async () => `Bearer ${await sign(good, { exp: now() - 3600 })}`],
    ["wrongly signed", async () => `Bearer ${await sign(good, { secret: new TextEncoder().encode("another-secret-of-enough-length") })}`],
    ["alg none", async () => `Bearer ${b64({ alg: "none", typ: "JWT" })}.${b64({ ...good, exp: now() + 600 })}.`],
    ["alg HS512 with the right secret", async () => `Bearer ${await sign(good, { alg: "HS512" })}`],
    ["missing tenant", async () => `Bearer ${await sign({ sub: "u1", roles: ["admin"] })}`],
    ["empty tenant", async () => `Bearer ${await sign({ ...good, tenant_id: "" })}`],
    ["tenant not a string", async () => `Bearer ${await sign({ ...good, tenant_id: 42 })}`],
    ["missing sub", async () => `Bearer ${await sign({ tenant_id: tenant, roles: ["admin"] })}`],
    ["roles not an array", async () => `Bearer ${await sign({ ...good, roles: "admin" })}`],
    ["missing roles", async () => `Bearer ${await sign({ sub: "u1", tenant_id: tenant })}`],
    ["without exp", async () => `Bearer ${await sign(good, { exp: null })}`],
    ["issued in the future", async () => `Bearer ${await new SignJWT(good).setProtectedHeader({ alg: "HS256" }).setIssuedAt(now() + 60).setExpirationTime(now() + 3600).sign(key)}`],
    ["not yet valid", async () => `Bearer ${await new SignJWT(good).setProtectedHeader({ alg: "HS256" }).setNotBefore(now() + 3600).setExpirationTime(now() + 7200).sign(key)}`],
  ];
  for (const [name, make] of cases) {
    it(`${name}: UNAUTHENTICATED, HTTP 401`, async () => {
      const result = await codeFor(await make());
      expect(result).toMatchObject({ status: 401, code: "UNAUTHENTICATED" });
      expect(result.www).toMatch(/^Bearer/);
    });
  }

  it("JWT_ISSUER and JWT_AUDIENCE, when set, are checked", async () => {
    const strict = await stack.startGateway({}, { JWT_ISSUER: "https://issuer.example", JWT_AUDIENCE: "coop-api" });
    const ask = async (token: string) => {
      const result = await postGraphQL(strict.url, Q.family, { id: randomUUID() }, { token });
      return { status: result.status, code: result.body.errors?.[0]?.extensions?.code ?? "ok" };
    };
    const both = await new SignJWT(good).setProtectedHeader({ alg: "HS256" }).setIssuer("https://issuer.example").setAudience("coop-api").setExpirationTime("10m").sign(key);
    expect(await ask(both)).toEqual({ status: 200, code: "ok" });
    expect(await ask(await sign(good))).toEqual({ status: 401, code: "UNAUTHENTICATED" });
    const otherAudience = await new SignJWT(good).setProtectedHeader({ alg: "HS256" }).setIssuer("https://issuer.example").setAudience("other").setExpirationTime("10m").sign(key);
    expect(await ask(otherAudience)).toEqual({ status: 401, code: "UNAUTHENTICATED" });
  });

  it("a bad token is UNAUTHENTICATED even on a mutation with bad input, and appends nothing", async () => {
    const before = await stack.eventCount();
    const result = await stack.gql(M.enrollFamily, { input: { familyName: 1 } }, { token: "x.y.z" });
    expect(result.status).toBe(401);
    expect(result.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(await stack.eventCount()).toBe(before);
  });

  it("unknown roles are ignored; no known role at all is FORBIDDEN", async () => {
    const financeish = await sign({ ...good, roles: ["superuser", "finance"] });
    const pay = await stack.gql(Q.paymentAnalytics, { from: "2026-01-01", to: "2026-02-01" }, { token: financeish });
    expect(pay.body.errors).toBeUndefined();
    const atRisk = await stack.gql(Q.atRiskFamiliesDefault, undefined, { token: financeish });
    expect(atRisk.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const none = await sign({ ...good, roles: ["superuser"] });
    const family = await stack.gql(Q.family, { id: randomUUID() }, { token: none });
    expect(family.status).toBe(403);
    expect(family.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });
});

describe("the access table, field by field and role by role", () => {
  // CONTRACT's roles for every operation, from the modules' test kits.
  const expected: Record<string, Role[]> = Object.fromEntries(
    Object.entries({ ...QUERIES, ...MUTATIONS, ...SUBSCRIPTIONS }).map(([field, c]) => [field, [...c.roles].sort()]),
  );

  it("the table in code is the contract's", () => {
    const table: Record<string, string[]> = {};
    for (const rules of Object.values(gatewayAccess)) for (const [field, roles] of Object.entries(rules)) table[field] = [...roles].sort();
    expect(table).toEqual(expected);
  });

  // Over WebSocket: an allowed role's subscription is put in place, another gets FORBIDDEN.
  for (const [field, c] of Object.entries(SUBSCRIPTIONS)) {
    it(`subscription ${field}: ${[...c.roles].sort().join(", ")} allowed, others FORBIDDEN`, async () => {
      for (const role of ROLES) {
        const token = await stack.token(tenant, [role]);
        const counts = () => stack.gateway.services.live.counts[field as "familyChanged" | "tenantActivity"];
        const before = counts();
        const live = subscribe(stack.url, { authorization: `Bearer ${token}` }, c.document, c.variables?.());
        try {
          if (c.roles.includes(role)) {
            await waitUntil(() => counts() > before, { what: `${field} as ${role} in place` });
            expect(live.errors, `${field} as ${role}`).toEqual([]);
          } else {
            await waitUntil(() => live.errors.length > 0, { what: `${field} as ${role} refused` });
            expect(live.errors[0]?.extensions?.code, `${field} as ${role}`).toBe("FORBIDDEN");
          }
        } finally {
          await live.dispose();
          await waitUntil(() => counts() <= before, { what: `${field} as ${role} ended` });
        }
      }
    });
  }

  for (const [field, allowed] of Object.entries(expected)) {
    if (field in SUBSCRIPTIONS) continue;
    it(`${field}: ${allowed.join(", ")} allowed, others FORBIDDEN`, async () => {
      for (const role of ROLES) {
        const token = await stack.token(tenant, [role]);
        const before = await stack.eventCount();
        const result =
          field in QUERIES
            ? await stack.gql(QUERIES[field as QueryName].document, QUERIES[field as QueryName].variables?.(), { token })
            : await stack.gql(M[field as MutationName], { input: validInput(field as MutationName, randomUUID(), today) }, { token });
        const code = result.body.errors?.[0]?.extensions?.code ?? "ok";
        if (allowed.includes(role)) {
          expect(["ok", "NOT_FOUND"], `${field} as ${role}`).toContain(code);
        } else {
          expect(code, `${field} as ${role}`).toBe("FORBIDDEN");
          expect(result.status).toBe(403);
          expect(await stack.eventCount()).toBe(before);
        }
      }
    });
  }

  it("one forbidden field in an operation forbids the whole operation", async () => {
    const token = await stack.token(tenant, ["finance"]);
    const result = await stack.gql(`{ family(id: "${randomUUID()}") { id } ... on Query { projections { name } } }`, undefined, { token });
    expect(result.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(result.body.data).toBeUndefined();
  });
});
