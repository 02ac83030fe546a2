// docker-compose.yml stays valid: `docker-compose config -q` (or `docker compose config -q`).
// No engine is needed for `config`. Without either client the test is skipped, saying why.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const FILE = `${ROOT}docker-compose.yml`;

function findClient(): string[] | null {
  for (const command of [["docker-compose"], ["docker", "compose"]]) {
    const probe = spawnSync(command[0]!, [...command.slice(1), "version"], { encoding: "utf8" });
    if (probe.status === 0) return command;
  }
  return null;
}

const client = findClient();
if (!client) {
  console.warn("SKIPPED docker-compose config test: neither `docker-compose` nor `docker compose` is installed (apt-get install -y docker-compose)");
}

function config(env: Record<string, string | undefined>) {
  const environment = { ...process.env, ...env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete environment[key];
  return spawnSync(client![0]!, [...client!.slice(1), "-f", FILE, "config", "-q"], { cwd: ROOT, encoding: "utf8", env: environment });
}

describe.skipIf(!client)("docker-compose.yml", () => {
  it("is valid (`config -q`)", () => {
    const result = config({ JWT_SECRET: "compose-test-secret-0123456789" });
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
  });

  it("refuses to run without JWT_SECRET", () => {
    const result = config({ JWT_SECRET: undefined });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/JWT_SECRET/);
  });
});

describe("docker-compose.yml content", () => {
  const text = readFileSync(FILE, "utf8");
  it("has the services, their dependencies and health checks", () => {
    for (const service of ["postgres", "redis", "migrate", "gateway", "worker"]) expect(text).toMatch(new RegExp(`^  ${service}:`, "m"));
    expect(text).toMatch(/condition: service_completed_successfully/);
    expect(text).toMatch(/image: postgres:15/);
    expect(text).toMatch(/image: redis:7/);
    expect(text).toMatch(/pnpm", "db:migrate"/);
    expect(text).toMatch(/4000\/healthz/);
    expect(text).toMatch(/4001\/healthz/);
    // Workers scale: no fixed host port.
    const worker = text.slice(text.indexOf("\n  worker:"), text.indexOf("\nvolumes:"));
    expect(worker).not.toMatch(/ports:/);
  });
});
