// 200 randomized malformed requests: never an HTTP 5xx, the process survives, and a normal query
// works afterwards. Seeded, so a failure can be replayed (FUZZ_SEED=...).
import { randomUUID } from "node:crypto";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { todayUtc } from "./support/dates";
import { M, MUTATIONS, mutationNames, Q, validInput } from "./support/operations";
import { startStack, type Stack } from "./support/stack";

let stack: Stack;
const tenant = `t-fuzz-${randomUUID().slice(0, 8)}`;
let token: string;
let familyId: string;

beforeAll(async () => {
  stack = await startStack("coop_test_gw_fuzz");
  token = await stack.token(tenant, ["admin"]);
  familyId = randomUUID();
  const enrolled = await stack.gql(M.enrollFamily, { input: validInput("enrollFamily", familyId, todayUtc()) }, { token });
  expect(enrolled.body.errors).toBeUndefined();
});

afterAll(async () => {
  await stack?.stop();
});

function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface FuzzRequest {
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

function generator(random: () => number) {
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const randomValue = (depth = 0): unknown => {
    switch (int(depth > 3 ? 6 : 9)) {
      case 0:
        return null;
      case 1:
        return random() * 1e12 - 5e11;
      case 2:
        return int(2) === 0;
      case 3:
        return "x".repeat(int(300));
      case 4:
        return "\u0000\ud83d\ude00\u202e' OR 1=1 --";
      case 5:
        return int(2 ** 31) * (int(2) ? 1 : -1) * 8;
      case 6:
        return Array.from({ length: int(5) }, () => randomValue(depth + 1));
      case 7:
        return Object.fromEntries(Array.from({ length: int(5) }, (_, i) => [`k${i}`, randomValue(depth + 1)]));
      default:
        return pick(["2026-02-30", "9999-99-99", "", "CARD", randomUUID(), "-1", "1e309"]);
    }
  };
  const auth = () => (int(5) === 0 ? pick(["Bearer", "Bearer x", "Basic abc", "Bearer a.b.c", `Bearer ${token}x`]) : `Bearer ${token}`);
  const json = (value: unknown) => JSON.stringify(value);

  const makers: (() => FuzzRequest)[] = [
    () => ({ kind: "invalid JSON", method: "POST", path: "/graphql", headers: { "content-type": "application/json", authorization: auth() }, body: bytes(1 + int(200)) }),
    () => ({ kind: "truncated JSON", method: "POST", path: "/graphql", headers: { "content-type": "application/json", authorization: auth() }, body: json({ query: Q.family, variables: { id: familyId } }).slice(0, int(40)) }),
    () => {
      const name = pick(mutationNames);
      // Half the time on a stream of the mutation's kind (the family, or an id that names nothing), else on anything.
      const streamId = int(2) ? (MUTATIONS[name].stream.kind === "family" ? familyId : randomUUID()) : (randomValue() as string);
      const input = validInput(name, streamId, todayUtc());
      const key = pick(Object.keys(input));
      return { kind: `wrong type for ${name}.${key}`, method: "POST", path: "/graphql", headers: { "content-type": "application/json", authorization: auth() }, body: json({ query: M[name], variables: { input: { ...input, [key]: randomValue() } } }) };
    },
    () => ({ kind: "variables not an object", method: "POST", path: "/graphql", headers: { "content-type": "application/json", authorization: auth() }, body: json({ query: Q.family, variables: randomValue() }) }),
    () => ({ kind: "1 MB string", method: "POST", path: "/graphql", headers: { "content-type": "application/json", authorization: auth() }, body: json({ query: Q.searchFamilies, variables: { term: "a".repeat(1_000_000) } }) }),
    () => ({ kind: "200 KB string", method: "POST", path: "/graphql", headers: { "content-type": "application/json", authorization: auth() }, body: json({ query: Q.searchFamilies, variables: { term: "ab%_\\".repeat(40_000), limit: 5 } }) }),
    () => {
      const depth = 30 + int(40);
      const query = `{ family(id: "${familyId}") { ${"children { ".repeat(depth)} name ${"} ".repeat(depth)} } }`;
      return { kind: `nested ${depth} deep`, method: "POST", path: "/graphql", headers: { "content-type": "application/json", authorization: auth() }, body: json({ query }) };
    },
    () => {
      const depth = 50;
      const query = `{ __schema { ${"types { fields { type { ".repeat(depth / 5)} name ${"} } } ".repeat(depth / 5)} } }`;
      return { kind: "introspection nested", method: "POST", path: "/graphql", headers: { "content-type": "application/json" }, body: json({ query }) };
    },
    () => ({ kind: "unknown fields", method: "POST", path: "/graphql", headers: { "content-type": "application/json", authorization: auth() }, body: json({ query: `{ family(id: "${familyId}") { id nope${int(99)} } bogus { x } }` }) }),
    () => ({ kind: "unknown top-level keys", method: "POST", path: "/graphql", headers: { "content-type": "application/json", authorization: auth() }, body: json({ query: Q.family, variables: { id: familyId }, [`x${int(9)}`]: randomValue(), operationName: int(2) ? "Nope" : 5 }) }),
    () => ({ kind: "batch", method: "POST", path: "/graphql", headers: { "content-type": "application/json", authorization: auth() }, body: json(Array.from({ length: 1 + int(5) }, () => ({ query: Q.family, variables: { id: familyId } }))) }),
    () => ({ kind: "empty batch", method: "POST", path: "/graphql", headers: { "content-type": "application/json", authorization: auth() }, body: "[]" }),
    () => ({
      kind: "wrong content type",
      method: "POST",
      path: "/graphql",
      headers: { "content-type": pick(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/graphql", "application/xml", "image/png"]), authorization: auth() },
      body: int(2) ? json({ query: Q.family, variables: { id: familyId } }) : `query=${encodeURIComponent(Q.projections)}`,
    }),
    () => ({ kind: "no content type", method: "POST", path: "/graphql", headers: { authorization: auth() }, body: json({ query: Q.projections }) }),
    () => ({
      kind: "huge variables",
      method: "POST",
      path: "/graphql",
      headers: { "content-type": "application/json", authorization: auth() },
      body: json({ query: M.assessRisk, variables: { input: { familyId, score: 10, factors: Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`factor${i}`, "v".repeat(20)])) } } }),
    }),
    () => {
      const depth = 2_000 + int(20_000);
      return { kind: `JSON nested ${depth} deep`, method: "POST", path: "/graphql", headers: { "content-type": "application/json", authorization: auth() }, body: `{"query":${json(M.assessRisk)},"variables":{"input":{"familyId":"${familyId}","score":5,"factors":${"[".repeat(depth)}${"]".repeat(depth)}}}}` };
    },
    () => ({ kind: "random bytes as query", method: "POST", path: "/graphql", headers: { "content-type": "application/json", authorization: auth() }, body: json({ query: bytes(1 + int(300)).toString("latin1") }) }),
    () => ({ kind: "random bytes, no type", method: "POST", path: "/graphql", headers: { authorization: auth() }, body: bytes(int(2000)) }),
    () => ({ kind: "GET mutation", method: "GET", path: `/graphql?query=${encodeURIComponent(M.withdrawFamily)}&variables=${encodeURIComponent(json({ input: validInput("withdrawFamily", familyId, todayUtc()) }))}`, headers: { authorization: auth(), "apollo-require-preflight": "1" } }),
    () => ({ kind: "GET query with junk params", method: "GET", path: `/graphql?query=${encodeURIComponent(bytes(20).toString("latin1"))}&variables=${pick(["%7B", "null", "[]", "%FF%FE"])}&query=dup`, headers: { authorization: auth() } }),
    () => ({ kind: "GET without CSRF header", method: "GET", path: `/graphql?query=${encodeURIComponent(Q.projections)}`, headers: { authorization: auth() } }),
    () => ({ kind: "other method", method: pick(["PUT", "DELETE", "PATCH", "OPTIONS"]), path: pick(["/graphql", "/healthz", "/metrics", "/nope"]), headers: { authorization: auth(), "content-type": "application/json" }, body: json({ query: Q.projections }) }),
    () => ({ kind: "odd paths", method: "GET", path: pick(["/playground/assets/../../package.json", "/playground/assets/%2e%2e%2fpackage.json", "/playground/assets/", "/graphql/../readyz", "//graphql", "/%00"]), headers: {} }),
    () => ({ kind: "weird correlation id", method: "POST", path: "/graphql", headers: { "content-type": "application/json", authorization: auth(), "x-correlation-id": pick(["", "a".repeat(5000), "\u00ff\u00fe", "<script>", "ok-id"]) }, body: json({ query: Q.family, variables: { id: familyId } }) }),
    () => ({ kind: "accept nothing usable", method: "POST", path: "/graphql", headers: { "content-type": "application/json", authorization: auth(), accept: pick(["image/png", "text/html", "*/*;q=0", "application/xml"]) }, body: json({ query: Q.family, variables: { id: familyId } }) }),
    () => ({ kind: "persisted query", method: "POST", path: "/graphql", headers: { "content-type": "application/json", authorization: auth() }, body: json({ extensions: { persistedQuery: { version: 1, sha256Hash: "abc" } } }) }),
    () => ({ kind: "multiple operations", method: "POST", path: "/graphql", headers: { "content-type": "application/json", authorization: auth() }, body: json({ query: `query A { __typename } query B { __typename }`, operationName: pick([undefined, "C", "A"]) }) }),
    () => ({ kind: "subscription", method: "POST", path: "/graphql", headers: { "content-type": "application/json", authorization: auth() }, body: json({ query: "subscription { x }" }) }),
    () => ({ kind: "many aliases", method: "POST", path: "/graphql", headers: { "content-type": "application/json", authorization: auth() }, body: json({ query: `{ ${Array.from({ length: 2_000 }, (_, i) => `a${i}: __typename`).join(" ")} }` }) }),
  ];
  return () => pick(makers)();
}

async function sendRaw(request: FuzzRequest, base: string) {
  const response = await fetch(`${base}${request.path}`, { method: request.method, headers: request.headers, body: request.body, redirect: "manual" });
  const body = await response.text();
  return { status: response.status, body };
}

/** Bytes that are not HTTP at all, straight to the socket: Node answers 400 and the process lives. */
function sendGarbage(port: number, payload: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let received = "";
    socket.on("data", (chunk) => (received += chunk.toString("latin1")));
    socket.on("error", () => resolve(received));
    socket.on("close", () => resolve(received));
    socket.setTimeout(5_000, () => socket.destroy());
    socket.write(payload, () => socket.end());
  });
}

describe("200 malformed requests", () => {
  it("never get an HTTP 5xx, and the gateway keeps working", async () => {
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
    const next = generator(mulberry32(seed));
    const requests = Array.from({ length: 195 }, next);
    const failures: string[] = [];
    const seen = new Map<string, Set<number>>();
    for (let i = 0; i < requests.length; i += 8) {
      await Promise.all(
        requests.slice(i, i + 8).map(async (request) => {
          try {
            const { status, body } = await sendRaw(request, stack.url);
            if (!seen.has(request.kind)) seen.set(request.kind, new Set());
            seen.get(request.kind)!.add(status);
            if (status >= 500) failures.push(`${request.kind}: HTTP ${status} ${body.slice(0, 300)}`);
            if (request.path.startsWith("/graphql") && status !== 405 && status !== 404 && request.method !== "OPTIONS" && body.startsWith("{")) {
              const parsed = JSON.parse(body) as { errors?: { extensions?: { code?: string } }[] };
              for (const error of parsed.errors ?? []) {
                if (!["UNAUTHENTICATED", "FORBIDDEN", "BAD_USER_INPUT", "NOT_FOUND", "CONFLICT", "CONCURRENCY_CONFLICT"].includes(error.extensions?.code ?? "")) {
                  failures.push(`${request.kind}: code ${error.extensions?.code} ${body.slice(0, 300)}`);
                }
              }
            }
          } catch (error) {
            failures.push(`${request.kind}: ${(error as Error).message}`);
          }
        }),
      );
    }
    const garbage = ["GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", "\u0000\u0001\u0002 nonsense\r\n\r\n", "POST /graphql HTTP/1.1\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", `GET /${"a".repeat(100_000)} HTTP/1.1\r\n\r\n`, "HELLO\r\n\r\n"];
    for (const payload of garbage) {
      const answer = await sendGarbage(stack.gateway.port, payload);
      if (/^HTTP\/1\.[01] 5\d\d/.test(answer)) failures.push(`raw garbage: ${answer.slice(0, 100)}`);
    }
    if (process.env.FUZZ_VERBOSE) console.log([...seen].map(([k, v]) => `${k}: ${[...v].join(",")}`).join("\n"));
    expect(failures, `seed ${seed}`).toEqual([]);
    expect(seen.size).toBeGreaterThan(10);

    // Alive and well. A fresh family: a fuzzed request may have been valid by chance and withdrawn the first.
    expect((await fetch(`${stack.url}/healthz`)).status).toBe(200);
    const family = await stack.gql<{ family: { id: string } | null }>(Q.family, { id: familyId }, { token });
    expect(family.status).toBe(200);
    expect(family.body.errors).toBeUndefined();
    const fresh = randomUUID();
    const enrolled = await stack.gql(M.enrollFamily, { input: validInput("enrollFamily", fresh, todayUtc()) }, { token });
    expect(enrolled.body.errors).toBeUndefined();
    const receipt = await stack.gql(M.assignCoordinator, { input: validInput("assignCoordinator", fresh, todayUtc()) }, { token });
    expect(receipt.body.errors).toBeUndefined();
  });

  it("specific answers: 413 for a big body, 400 for a batch, 405 for a GET mutation", async () => {
    const big = await sendRaw({ kind: "", method: "POST", path: "/graphql", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ query: Q.searchFamilies, variables: { term: "a".repeat(300_000) } }) }, stack.url);
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body)).toMatchObject({ errors: [{ extensions: { code: "BAD_USER_INPUT", field: "body" } }] });
    const batch = await sendRaw({ kind: "", method: "POST", path: "/graphql", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify([{ query: "{ __typename }" }]) }, stack.url);
    expect(batch.status).toBe(400);
    expect(JSON.parse(batch.body)).toMatchObject({ errors: [{ extensions: { code: "BAD_USER_INPUT" } }] });
    const getMutation = await sendRaw({ kind: "", method: "GET", path: `/graphql?query=${encodeURIComponent(M.withdrawFamily)}`, headers: { authorization: `Bearer ${token}`, "apollo-require-preflight": "1" } }, stack.url);
    expect(getMutation.status).toBe(405);
    const getQuery = await sendRaw({ kind: "", method: "GET", path: `/graphql?query=${encodeURIComponent(`{ family(id: "${familyId}") { id } }`)}`, headers: { authorization: `Bearer ${token}`, "apollo-require-preflight": "1" } }, stack.url);
    expect(getQuery.status).toBe(200);
    expect(JSON.parse(getQuery.body)).toEqual({ data: { family: null } }); // no worker here: not projected
    const csrf = await sendRaw({ kind: "", method: "POST", path: "/graphql", headers: { "content-type": "text/plain", authorization: `Bearer ${token}` }, body: JSON.stringify({ query: "{ __typename }" }) }, stack.url);
    expect(csrf.status).toBe(400);
    expect(JSON.parse(csrf.body).errors[0].message).toMatch(/Cross-Site Request Forgery/);
  });
});
