// `pnpm run token ...` from the repository root: the arguments reach src/token.cli.ts, and stdout
// holds the token alone, so that TOKEN=$(pnpm -s run token ...) works.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { DEVELOPMENT_JWT_SECRET } from "@coop/config";
import { TokenVerifier } from "../src/auth/token";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const GATEWAY = fileURLToPath(new URL("..", import.meta.url));
const SECRET = "token-cli-test-secret-0123456789";
const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;

type Env = Record<string, string | undefined>;

/** This run's environment with `env` on top; an undefined value removes the variable. */
function environment(env: Env): NodeJS.ProcessEnv {
  const result: NodeJS.ProcessEnv = { ...process.env, JWT_ISSUER: undefined, JWT_AUDIENCE: undefined, ...env };
  for (const [key, value] of Object.entries(result)) if (value === undefined) delete result[key];
  return result;
}

function run(args: string[], env: Env = { JWT_SECRET: SECRET }) {
  const result = spawnSync("pnpm", ["-s", "run", "token", ...args], { cwd: ROOT, env: environment(env), encoding: "utf8", timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, token: result.stdout.trim() };
}

describe("pnpm run token", () => {
  it("prints an HS256 JWT with the given tenant, roles, subject and lifetime, and only it on stdout", async () => {
    const { status, stdout, token, stderr } = run(["--tenant", "tenant-cli", "--roles", "admin,finance", "--sub", "bob", "--expires", "2h"]);
    expect(status, stderr).toBe(0);
    expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(SECRET), { algorithms: ["HS256"] });
    expect(protectedHeader.alg).toBe("HS256");
    expect(payload).toMatchObject({ sub: "bob", tenant_id: "tenant-cli", roles: ["admin", "finance"] });
    expect(payload.exp! - payload.iat!).toBe(7200);
    expect(payload.iss).toBeUndefined();
    expect(payload.aud).toBeUndefined();
  }, 60_000);

  it("TOKEN=$(pnpm -s run token --tenant t --roles admin), the README's line, holds the token", () => {
    const result = spawnSync("sh", ["-c", 'TOKEN=$(pnpm -s run token --tenant t --roles admin) && printf "%s" "$TOKEN"'], {
      cwd: ROOT,
      env: environment({ JWT_SECRET: undefined, NODE_ENV: undefined }),
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(JWT);
    // The warning about the development secret went to stderr, not into $TOKEN.
    expect(result.stderr).toMatch(/JWT_SECRET is not set/);
  }, 60_000);

  it("without JWT_SECRET: the development secret, a warning on stderr, a default subject and 12 h", async () => {
    for (const nodeEnv of [undefined, "development"]) {
      const { status, stdout, stderr, token } = run(["--tenant", "t", "--roles", "coordinator"], { JWT_SECRET: undefined, NODE_ENV: nodeEnv });
      expect(status, stderr).toBe(0);
      expect(stdout.trim().split("\n")).toHaveLength(1);
      expect(stderr).toMatch(/JWT_SECRET is not set; signing with the development secret/);
      const { payload } = await jwtVerify(token, new TextEncoder().encode(DEVELOPMENT_JWT_SECRET));
      expect(payload).toMatchObject({ sub: "cli-user", tenant_id: "t", roles: ["coordinator"] });
      expect(payload.exp! - payload.iat!).toBe(12 * 3600);
    }
  }, 120_000);

  it("sets iss and aud from JWT_ISSUER and JWT_AUDIENCE, which a gateway so configured accepts", async () => {
    const { status, token, stderr } = run(["--tenant", "t", "--roles", "admin"], { JWT_SECRET: SECRET, JWT_ISSUER: "https://issuer.example", JWT_AUDIENCE: "coop-api" });
    expect(status, stderr).toBe(0);
    const { payload } = await jwtVerify(token, new TextEncoder().encode(SECRET));
    expect(payload).toMatchObject({ iss: "https://issuer.example", aud: "coop-api" });
    const verifier = new TokenVerifier(SECRET, { issuer: "https://issuer.example", audience: "coop-api" });
    await expect(verifier.verify(token)).resolves.toMatchObject({ tenantId: "t" });
  }, 60_000);

  it("bad arguments through pnpm: the usage and exit code 2", () => {
    for (const args of [[], ["--tenant", "t", "--roles", "wizard"]]) {
      const result = spawnSync("pnpm", ["run", "token", ...args], { cwd: ROOT, env: environment({ JWT_SECRET: SECRET }), encoding: "utf8", timeout: 60_000 });
      expect(result.status, args.join(" ")).not.toBe(0);
      expect(`${result.stdout}${result.stderr}`).toMatch(/usage: pnpm run token --tenant TENANT --roles/);
      expect(`${result.stdout}${result.stderr}`).toMatch(/Exit status 2|exit code 2/);
    }
  }, 120_000);

  it("bad arguments, the CLI itself: exit code 2, nothing on stdout, the usage on stderr", () => {
    const cases = [["--tenant", "t"], ["--roles", "admin"], ["--tenant", " ", "--roles", "admin"], ["--tenant", "t", "--roles", ","], ["--tenant", "t", "--roles", "admin", "--bogus"], ["--tenant", "t", "--roles", "admin", "--expires", "soon"], ["positional"]];
    for (const args of cases) {
      const result = spawnSync(process.execPath, ["--import", "tsx", "src/token.cli.ts", ...args], { cwd: GATEWAY, encoding: "utf8", env: environment({ JWT_SECRET: SECRET }) });
      expect(result.status, args.join(" ")).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).toMatch(/usage: pnpm run token/);
    }
  }, 60_000);

  it("a bad configuration: exit code 2 naming the variable, nothing on stdout", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", "src/token.cli.ts", "--tenant", "t", "--roles", "admin"], {
      cwd: GATEWAY,
      encoding: "utf8",
      env: environment({ JWT_SECRET: "short" }),
    });
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/JWT_SECRET must be at least 16/);
  }, 60_000);
});
