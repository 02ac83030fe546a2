// One log line per request, captured from a real gateway's pino destination: the fields an
// operator needs, the correlation id on every line and response, and never the token nor the
// personal data sent in variables.
import { randomUUID } from "node:crypto";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { todayUtc } from "./support/dates";
import { M, Q } from "./support/operations";
import { createGateway } from "../src/server";
import { postGraphQL, startStack, testConfig, type Stack } from "./support/stack";

interface Line {
  level: number;
  msg: string;
  correlationId?: string;
  method?: string;
  path?: string;
  status?: number;
  durationMs?: number;
  operationName?: string;
  operationType?: string;
  user?: string;
  tenant?: string;
  errorCode?: string;
  [key: string]: unknown;
}

const DEBUG = 20;
const INFO = 30;
const raw: string[] = [];
const destination = { write: (chunk: string) => void raw.push(chunk) };
const lines = () => raw.join("").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Line);
const requestLines = () => lines().filter((l) => l.msg === "request completed" || l.msg === "request failed");

let stack: Stack;
const tenant = `t-log-${randomUUID().slice(0, 8)}`;
// Personal values, unique to this run, sent only inside variables.
const secretName = `Zelda Quixote-${randomUUID().slice(0, 8)}`;
const secretEmail = `zq-${randomUUID().slice(0, 8)}@example.org`;

beforeAll(async () => {
  stack = await startStack("coop_test_gw_log", { gateway: { logger: pino({ level: "debug" }, destination) } });
});

afterAll(async () => {
  await stack?.stop();
});

describe("the request log", () => {
  it("one line per request with method, path, operation, status, duration, user, tenant and correlation id; no token, no variables", async () => {
    const token = await stack.token(tenant, ["admin"], "log-user");
    const familyId = randomUUID();
    raw.length = 0;

    const enroll = await postGraphQL(
      stack.url,
      M.enrollFamily,
      { input: { familyId, familyName: secretName, enrollmentDate: todayUtc(), parentName: secretName, email: secretEmail } },
      { token, headers: { "x-correlation-id": "corr-enroll-1" } },
    );
    expect(enroll.body.errors).toBeUndefined();
    expect(enroll.headers.get("x-correlation-id")).toBe("corr-enroll-1");

    const search = await postGraphQL(stack.url, Q.searchFamilies, { term: secretName }, { token });
    expect(search.status).toBe(200);
    const searchId = search.headers.get("x-correlation-id");
    expect(searchId).toMatch(/^[0-9a-f-]{36}$/);

    const refused = await postGraphQL(stack.url, Q.family, { id: familyId }, { token: "not.a.token" });
    expect(refused.status).toBe(401);
    const refusedId = refused.headers.get("x-correlation-id");
    expect(refusedId).toBeTruthy();

    // The playground, opened with the token in its address.
    const page = await fetch(`${stack.url}/graphql?token=${token}`, { headers: { accept: "text/html" } });
    expect(page.status).toBe(200);
    expect(page.headers.get("x-correlation-id")).toBeTruthy();
    // A GET query carries its variables in the query string.
    const get = await fetch(`${stack.url}/graphql?query=${encodeURIComponent(Q.searchFamilies)}&variables=${encodeURIComponent(JSON.stringify({ term: secretEmail }))}`, {
      headers: { authorization: `Bearer ${token}`, "apollo-require-preflight": "1" },
    });
    expect(get.status).toBe(200);

    const health = await fetch(`${stack.url}/healthz`);
    expect(health.headers.get("x-correlation-id")).toBeTruthy();
    await fetch(`${stack.url}/readyz`);
    await fetch(`${stack.url}/metrics`);

    const all = requestLines();
    expect(all.map((l) => `${l.method} ${l.path} ${l.status}`)).toEqual([
      "POST /graphql 200",
      "POST /graphql 200",
      "POST /graphql 401",
      "GET /graphql 200",
      "GET /graphql 200",
      "GET /healthz 200",
      "GET /readyz 200",
      "GET /metrics 200",
    ]);
    const [enrollLine, searchLine, refusedLine, pageLine, getLine, ...quiet] = all as [Line, Line, Line, Line, Line, ...Line[]];

    expect(enrollLine).toMatchObject({ level: INFO, correlationId: "corr-enroll-1", operationName: "Enroll", operationType: "mutation", user: "log-user", tenant });
    expect(searchLine).toMatchObject({ level: INFO, correlationId: searchId, operationName: "Search", operationType: "query", user: "log-user", tenant });
    expect(searchLine.errorCode).toBeUndefined();
    // A bad token is refused before the body is read: no operation, no user.
    expect(refusedLine).toMatchObject({ level: INFO, correlationId: refusedId, errorCode: "UNAUTHENTICATED" });
    expect(refusedLine.operationName).toBeUndefined();
    expect(refusedLine.user).toBeUndefined();
    expect(refusedLine.tenant).toBeUndefined();
    expect(pageLine.correlationId).toBe(page.headers.get("x-correlation-id"));
    expect(getLine).toMatchObject({ operationName: "Search", operationType: "query", tenant });
    for (const line of all) {
      expect(typeof line.durationMs).toBe("number");
      expect(line.durationMs).toBeGreaterThanOrEqual(0);
      expect(line.correlationId).toBeTruthy();
    }
    // Health, readiness and metrics at debug level only.
    expect(quiet.map((l) => l.level)).toEqual([DEBUG, DEBUG, DEBUG]);
    expect(quiet[0]!.correlationId).toBe(health.headers.get("x-correlation-id"));

    // Nothing of the token, the query string or the variables, anywhere in the log.
    const text = raw.join("");
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.split(".")[2]!);
    expect(text).not.toContain("not.a.token");
    expect(text).not.toContain("token=");
    expect(text).not.toContain(secretName);
    expect(text).not.toContain(secretEmail);
    expect(text).not.toMatch(/authorization/i);
  });

  it("every line a request causes carries its correlation id (a gateway whose database is down)", async () => {
    const captured: string[] = [];
    const dead = await createGateway(testConfig({ DATABASE_URL: "postgresql://postgres@127.0.0.1:1/nowhere", QUEUE_PREFIX: stack.queuePrefix }), {
      host: "127.0.0.1",
      logger: pino({ level: "debug" }, { write: (chunk: string) => void captured.push(chunk) }),
    });
    try {
      const token = await stack.token(tenant, ["admin"]);
      const failed = await postGraphQL(dead.url, Q.family, { id: randomUUID() }, { token, headers: { "x-correlation-id": "corr-dead-1" } });
      expect(failed.body.errors?.[0]?.extensions?.code).toBe("INTERNAL_SERVER_ERROR");
      const ready = await fetch(`${dead.url}/readyz`, { headers: { "x-correlation-id": "corr-dead-2" } });
      expect(ready.status).toBe(503);
      const logged = captured.join("").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Line);
      const byId = (id: string) => logged.filter((l) => l.correlationId === id).map((l) => l.msg);
      // The failure itself, then the request's line; the readiness check's finding, then its line.
      expect(byId("corr-dead-1")).toEqual(["unexpected error in a GraphQL request", "request completed"]);
      expect(logged.find((l) => l.correlationId === "corr-dead-1" && l.msg === "request completed")).toMatchObject({ status: 200, errorCode: "INTERNAL_SERVER_ERROR" });
      expect(byId("corr-dead-2")).toEqual(["readiness: postgres is down", "request failed"]);
      expect(logged.filter((l) => l.correlationId === undefined)).toEqual([]);
    } finally {
      await dead.close();
    }
  });
});
