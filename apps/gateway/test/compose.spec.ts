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

const PASSED_THROUGH = ["CORS_ORIGINS", "DASHBOARD_PASSWORD", "JWT_ISSUER", "JWT_AUDIENCE"];

function config(env: Record<string, string | undefined>, quiet = true) {
  const environment: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const name of PASSED_THROUGH) if (!(name in env)) delete environment[name];
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete environment[key];
  return spawnSync(client![0]!, [...client!.slice(1), "-f", FILE, "config", ...(quiet ? ["-q"] : [])], { cwd: ROOT, encoding: "utf8", env: environment });
}

/** One service's block under `services:` of a compose file or of `config`'s output (two-space indented). */
function serviceBlock(text: string, service: string): string {
  const services = text.search(/^services:$/m);
  const found = text.slice(services).search(new RegExp(`^  ${service}:`, "m"));
  expect(services >= 0 && found >= 0, service).toBe(true);
  const start = services + found;
  const bodyStart = text.indexOf("\n", start) + 1;
  const rest = text.slice(bodyStart);
  const end = rest.search(/^ {0,2}[A-Za-z_-]+:/m);
  return text.slice(start, bodyStart) + (end < 0 ? rest : rest.slice(0, end));
}

describe.skipIf(!client)("docker-compose.yml", () => {
  it("is valid (`config -q`)", () => {
    const result = config({ JWT_SECRET: "compose-test-secret-0123456789", DATA_KEY_SECRET: "compose-test-data-key-0123456789" });
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
  });

  it("passes CORS_ORIGINS, DASHBOARD_PASSWORD, JWT_ISSUER and JWT_AUDIENCE through to the gateway and the workers", () => {
    const values = { CORS_ORIGINS: "https://app.example.com", DASHBOARD_PASSWORD: "compose-dashboard-password", JWT_ISSUER: "https://issuer.example", JWT_AUDIENCE: "coop-api" };
    const result = config({ JWT_SECRET: "compose-test-secret-0123456789", DATA_KEY_SECRET: "compose-test-data-key-0123456789", ...values }, false);
    expect(result.status, result.stderr).toBe(0);
    for (const service of ["gateway", "worker"]) {
      const block = serviceBlock(result.stdout, service);
      for (const [name, value] of Object.entries(values)) expect(block, `${service} ${name}`).toMatch(new RegExp(`${name}: '?${value.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}'?\n`));
    }
    // Unset, they stay empty, which the processes read as unset.
    const unset = config({ JWT_SECRET: "compose-test-secret-0123456789", DATA_KEY_SECRET: "compose-test-data-key-0123456789" }, false);
    expect(serviceBlock(unset.stdout, "worker")).toMatch(/DASHBOARD_PASSWORD: ''/);
  });

  it("refuses to run without JWT_SECRET", () => {
    const result = config({ JWT_SECRET: undefined, DATA_KEY_SECRET: "compose-test-data-key-0123456789" });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/JWT_SECRET/);
  });

  it("refuses to run without DATA_KEY_SECRET", () => {
    const result = config({ JWT_SECRET: "compose-test-secret-0123456789", DATA_KEY_SECRET: undefined });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/DATA_KEY_SECRET/);
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
    // The gateway's and the workers' health is their readiness: PostgreSQL and Redis answering.
    expect(serviceBlock(text, "gateway")).toMatch(/4000\/readyz/);
    expect(serviceBlock(text, "worker")).toMatch(/4001\/readyz/);
    // Workers scale: no fixed host port.
    const worker = text.slice(text.indexOf("\n  worker:"), text.indexOf("\nvolumes:"));
    expect(worker).not.toMatch(/ports:/);
  });

  it("every long-running service restarts by itself and has a health check; the one-shot migration retries only on failure", () => {
    for (const service of ["postgres", "redis", "gateway", "worker"]) {
      const block = serviceBlock(text, service);
      expect(block, service).toMatch(/^ {4}restart: unless-stopped$/m);
      expect(block, service).toMatch(/^ {4}healthcheck:\n {6}test: /m);
    }
    const migrate = serviceBlock(text, "migrate");
    expect(migrate).toMatch(/^ {4}restart: on-failure(:\d+)?$/m);
    expect(migrate).not.toMatch(/healthcheck:/);
  });
});
