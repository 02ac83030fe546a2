// CORS as a browser sees it: a page on another origin calls /graphql with a bearer token and the
// headers Apollo Client sends. Chromium (Debian's package) makes the preflight and enforces the
// answer: a listed origin reads the result, the 401 and x-correlation-id; another origin cannot.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Q } from "./support/operations";
import { startStack, type Stack } from "./support/stack";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const available = existsSync(CHROMIUM);
if (!available) console.warn(`SKIPPED CORS browser test: ${CHROMIUM} is absent (apt-get install -y chromium)`);

/** A page server standing for a frontend on its own origin. */
async function appServer(): Promise<{ server: Server; origin: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end("<!doctype html><title>app</title><p>app</p>");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, origin: `http://localhost:${(server.address() as AddressInfo).port}` };
}

let stack: Stack;
let listed: { server: Server; origin: string };
let stranger: { server: Server; origin: string };
let profile: string;

beforeAll(async () => {
  if (!available) return;
  listed = await appServer();
  stranger = await appServer();
  stack = await startStack("coop_test_gw_cors_browser", { env: { CORS_ORIGINS: listed.origin } });
  profile = mkdtempSync(join(tmpdir(), "gateway-chromium-cors-"));
});

afterAll(async () => {
  await stack?.stop();
  for (const app of [listed, stranger]) if (app) await new Promise((resolve) => app.server.close(resolve));
  if (profile) rmSync(profile, { recursive: true, force: true });
});

interface Outcome {
  ok: boolean;
  status?: number;
  correlationId?: string | null;
  code?: string;
  data?: unknown;
  error?: string;
}

describe.skipIf(!available)("CORS in Chromium", () => {
  it("a listed origin calls /graphql with a token and reads answers and 401s; another origin is blocked", async () => {
    const { chromium } = await import("playwright-core");
    const token = await stack.token(`t-cors-browser-${randomUUID().slice(0, 8)}`, ["admin"]);
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
    });
    try {
      const call = async (origin: string, bearer: string | null): Promise<Outcome> => {
        const page = await context.newPage();
        await page.goto(origin);
        const outcome = await page.evaluate(
          async ({ url, query, bearer }) => {
            const headers: Record<string, string> = {
              "content-type": "application/json",
              "x-correlation-id": "browser-corr-1",
              "apollographql-client-name": "web",
              "apollographql-client-version": "1.0.0",
            };
            if (bearer) headers.authorization = `Bearer ${bearer}`;
            try {
              const response = await fetch(`${url}/graphql`, { method: "POST", headers, body: JSON.stringify({ query, variables: { id: "00000000-0000-4000-8000-000000000000" } }) });
              const body = (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
              return { ok: true, status: response.status, correlationId: response.headers.get("x-correlation-id"), code: body.errors?.[0]?.extensions?.code, data: body.data };
            } catch (error) {
              return { ok: false, error: String(error) };
            }
          },
          { url: stack.url, query: Q.family, bearer },
        );
        await page.close();
        return outcome;
      };

      expect(await call(listed.origin, token)).toEqual({ ok: true, status: 200, correlationId: "browser-corr-1", code: undefined, data: { family: null } });
      expect(await call(listed.origin, null)).toMatchObject({ ok: true, status: 401, correlationId: "browser-corr-1", code: "UNAUTHENTICATED" });
      expect(await call(stranger.origin, token)).toMatchObject({ ok: false, error: expect.stringMatching(/Failed to fetch/) });
    } finally {
      await context.close();
    }
  }, 90_000);
});
