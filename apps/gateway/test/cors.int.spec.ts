// CORS on /graphql over real HTTP (CONTRACT section 6, "Browsers"): preflights answered before
// authentication, listed origins echoed, `*` only when configured so, others get no CORS headers.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { Q } from "./support/operations";
import { startStack, type Stack } from "./support/stack";

const APP = "https://app.example.com";
const LOCAL = "http://localhost:5173";
const STRANGER = "https://evil.example";

let stack: Stack;
let anyOrigin: string;
let unset: string;
let development: string;

beforeAll(async () => {
  stack = await startStack("coop_test_gw_cors", { env: { CORS_ORIGINS: `${APP}, ${LOCAL}` } });
  anyOrigin = (await stack.startGateway({}, { CORS_ORIGINS: "*" })).url;
  unset = (await stack.startGateway({}, { CORS_ORIGINS: "" })).url;
  development = (await stack.startGateway({}, { CORS_ORIGINS: "", NODE_ENV: "development" })).url;
});

afterAll(async () => {
  await stack?.stop();
});

function preflight(base: string, origin: string, requestHeaders = "authorization, content-type, x-consistent-with, x-correlation-id") {
  return fetch(`${base}/graphql`, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": requestHeaders },
  });
}

async function query(base: string, origin: string, token: string | null) {
  const headers: Record<string, string> = { origin, "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  return fetch(`${base}/graphql`, { method: "POST", headers, body: JSON.stringify({ query: Q.family, variables: { id: randomUUID() } }) });
}

function corsHeaders(response: Response): string[] {
  return [...response.headers.keys()].filter((name) => name.startsWith("access-control-"));
}

const list = (value: string | null) => (value ?? "").split(",").map((v) => v.trim().toLowerCase());

describe("a listed origin", () => {
  it("gets its preflight answered before authentication: 204 with methods, headers, max-age and Vary", async () => {
    for (const origin of [APP, LOCAL]) {
      const response = await preflight(stack.url, origin);
      expect(response.status).toBe(204);
      expect(response.headers.get("access-control-allow-origin")).toBe(origin);
      expect(list(response.headers.get("access-control-allow-methods"))).toEqual(expect.arrayContaining(["get", "post", "options"]));
      expect(list(response.headers.get("access-control-allow-headers"))).toEqual(
        expect.arrayContaining([
          "authorization",
          "content-type",
          "x-correlation-id",
          "x-consistent-with",
          "apollo-require-preflight",
          "x-apollo-operation-name",
          "apollographql-client-name",
          "apollographql-client-version",
        ]),
      );
      expect(Number(response.headers.get("access-control-max-age"))).toBeGreaterThan(0);
      expect(list(response.headers.get("vary"))).toContain("origin");
      // No wildcard for a list, and no credentials mode: the token travels in a header.
      expect(response.headers.get("access-control-allow-credentials")).toBeNull();
    }
  });

  it("gets the allow-origin and the exposed correlation id on answers, 401 included", async () => {
    const token = await stack.token(`t-cors-${randomUUID().slice(0, 8)}`, ["admin"]);
    const ok = await query(stack.url, APP, token);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe(APP);
    expect(list(ok.headers.get("access-control-expose-headers"))).toContain("x-correlation-id");
    expect(ok.headers.get("x-correlation-id")).toBeTruthy();

    for (const [token, what] of [[null, "no token"], ["not.a.token", "a bad token"]] as const) {
      const refused = await query(stack.url, LOCAL, token);
      expect(refused.status, what).toBe(401);
      expect(((await refused.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code, what).toBe("UNAUTHENTICATED");
      expect(refused.headers.get("access-control-allow-origin"), what).toBe(LOCAL);
      expect(list(refused.headers.get("access-control-expose-headers")), what).toContain("x-correlation-id");
    }
  });
});

describe("an origin not listed", () => {
  it("gets no CORS headers, on the preflight or on the answer", async () => {
    const pre = await preflight(stack.url, STRANGER);
    expect(pre.status).toBe(204);
    expect(corsHeaders(pre)).toEqual([]);
    const token = await stack.token("t-cors-stranger", ["admin"]);
    const answer = await query(stack.url, STRANGER, token);
    expect(answer.status).toBe(200);
    expect(corsHeaders(answer)).toEqual([]);
    // A listed origin's look-alikes are strangers too.
    for (const lookalike of [`${APP}.evil.example`, "http://app.example.com", "https://app.example.com:8443"]) {
      expect(corsHeaders(await preflight(stack.url, lookalike)), lookalike).toEqual([]);
    }
  });
});

describe("CORS_ORIGINS", () => {
  it("`*` answers any origin with `*`", async () => {
    const pre = await preflight(anyOrigin, STRANGER);
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("*");
    const answer = await query(anyOrigin, STRANGER, null);
    expect(answer.status).toBe(401);
    expect(answer.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("unset: no origin at all outside development, any origin under development", async () => {
    expect(corsHeaders(await preflight(unset, APP))).toEqual([]);
    expect(corsHeaders(await query(unset, APP, null))).toEqual([]);
    const dev = await preflight(development, APP);
    expect(dev.status).toBe(204);
    expect(dev.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("a request without Origin (not a browser's cross-origin call) works as before", async () => {
    const token = await stack.token("t-cors-none", ["admin"]);
    const result = await stack.gql(Q.family, { id: randomUUID() }, { token });
    expect(result.status).toBe(200);
    expect(result.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("WebSocket upgrades on /graphql (browsers apply no CORS to them: the gateway checks Origin)", () => {
  /** The upgrade's HTTP answer: 101 when the socket opened, else the refusal's status. */
  function upgrade(base: string, origin?: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`${base.replace(/^http/, "ws")}/graphql`, "graphql-transport-ws", origin ? { origin } : {});
      socket.once("open", () => {
        socket.close();
        resolve(101);
      });
      socket.once("unexpected-response", (_req, res) => {
        resolve(res.statusCode ?? 0);
        socket.terminate();
      });
      socket.once("error", (error) => reject(error));
    });
  }

  it("opens for listed origins, the gateway's own origin (the playground) and clients that send no Origin", async () => {
    expect(await upgrade(stack.url, APP)).toBe(101);
    expect(await upgrade(stack.url, LOCAL)).toBe(101);
    expect(await upgrade(stack.url, new URL(stack.url).origin)).toBe(101);
    expect(await upgrade(stack.url)).toBe(101);
    expect(await upgrade(anyOrigin, STRANGER)).toBe(101);
  });

  it("refuses other origins with 403 before any message, look-alikes and opaque origins included", async () => {
    for (const origin of [STRANGER, `${APP}.evil.example`, "https://app.example.com:8443", "null"]) {
      expect(await upgrade(stack.url, origin), origin).toBe(403);
    }
    expect(await upgrade(unset, APP)).toBe(403);
  });
});
