// `pnpm run token ...` from the repository root: the arguments reach src/token.cli.ts.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { DEVELOPMENT_JWT_SECRET } from "@coop/config";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const GATEWAY = fileURLToPath(new URL("..", import.meta.url));
const SECRET = "token-cli-test-secret-0123456789";

function run(args: string[], env: Record<string, string | undefined> = { JWT_SECRET: SECRET }) {
  const result = spawnSync("pnpm", ["run", "token", ...args], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: "development", ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  const lines = result.stdout.trim().split("\n").map((l) => l.trim());
  return { status: result.status, token: lines[lines.length - 1] ?? "", stdout: result.stdout, stderr: result.stderr };
}

describe("pnpm run token", () => {
  it("prints an HS256 JWT with the given tenant, roles, subject and lifetime", async () => {
    const { status, token, stderr } = run(["--tenant", "tenant-cli", "--roles", "admin,finance", "--sub", "bob", "--expires", "2h"]);
    expect(status, stderr).toBe(0);
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(SECRET), { algorithms: ["HS256"] });
    expect(protectedHeader.alg).toBe("HS256");
    expect(payload).toMatchObject({ sub: "bob", tenant_id: "tenant-cli", roles: ["admin", "finance"] });
    expect(payload.exp! - payload.iat!).toBe(7200);
  }, 60_000);

  it("uses the development secret when JWT_SECRET is not set, with a default subject and 12 h", async () => {
    const { status, token } = run(["--tenant", "t", "--roles", "coordinator"], { JWT_SECRET: undefined });
    expect(status).toBe(0);
    const { payload } = await jwtVerify(token, new TextEncoder().encode(DEVELOPMENT_JWT_SECRET));
    expect(payload).toMatchObject({ sub: "cli-user", tenant_id: "t", roles: ["coordinator"] });
    expect(payload.exp! - payload.iat!).toBe(12 * 3600);
  }, 60_000);

  it("bad arguments through pnpm: the usage and exit code 2", () => {
    for (const args of [[], ["--tenant", "t", "--roles", "wizard"]]) {
      const { status, stderr, stdout } = run(args);
      expect(status, args.join(" ")).not.toBe(0);
      expect(`${stdout}${stderr}`).toMatch(/usage: pnpm run token --tenant TENANT --roles/);
      expect(`${stdout}${stderr}`).toMatch(/Exit status 2|exit code 2/);
    }
  }, 120_000);

  it("bad arguments, the CLI itself: exit code 2 and the usage on stderr", () => {
    const cases = [["--tenant", "t"], ["--roles", "admin"], ["--tenant", " ", "--roles", "admin"], ["--tenant", "t", "--roles", ","], ["--tenant", "t", "--roles", "admin", "--bogus"], ["--tenant", "t", "--roles", "admin", "--expires", "soon"], ["positional"]];
    for (const args of cases) {
      const result = spawnSync(process.execPath, ["--import", "tsx", "src/token.cli.ts", ...args], { cwd: GATEWAY, encoding: "utf8", env: { ...process.env, JWT_SECRET: SECRET } });
      expect(result.status, args.join(" ")).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).toMatch(/usage: pnpm run token/);
    }
  }, 60_000);
});
