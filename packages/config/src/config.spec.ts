import { describe, expect, it } from "vitest";
import { DEVELOPMENT_DATA_KEY_SECRET, DEVELOPMENT_JWT_SECRET, keysForgottenChannel, loadConfig, parseCorsOrigins } from "./config";

const SECRET = "s".repeat(32);
const DATA_KEY = "d".repeat(32);

describe("loadConfig", () => {
  it("gives the contract's defaults (NODE_ENV=test: the development secret is allowed)", () => {
    expect(loadConfig({ NODE_ENV: "test" })).toMatchObject({
      nodeEnv: "test",
      databaseUrl: "postgresql://postgres@127.0.0.1:5432/coop",
      databaseReaderRole: "coop_reader",
      redisUrl: "redis://127.0.0.1:6379",
      port: 4000,
      workerPort: 4001,
      jwtSecret: DEVELOPMENT_JWT_SECRET,
      jwtSecretIsDefault: true,
      dataKeySecret: DEVELOPMENT_DATA_KEY_SECRET,
      dataKeySecretIsDefault: true,
      dataKeyPreviousSecrets: [],
      dataKeyCacheMs: 60_000,
      jwtIssuer: null,
      jwtAudience: null,
      corsOrigins: [],
      dashboardPassword: null,
      queuePrefix: "coop",
      snapshotEvery: 100,
    });
  });

  it("reads the environment", () => {
    const config = loadConfig({
      PORT: "5000",
      WORKER_PORT: "5001",
      JWT_SECRET: SECRET,
      DATA_KEY_SECRET: DATA_KEY,
      DATA_KEY_SECRET_PREVIOUS: ` ${"o".repeat(16)}, ${"p".repeat(20)} `,
      DATA_KEY_CACHE_MS: "5000",
      JWT_ISSUER: " https://issuer.example ",
      JWT_AUDIENCE: "coop-api",
      CORS_ORIGINS: "https://app.example.com, http://localhost:5173",
      DASHBOARD_PASSWORD: "correct horse battery",
      QUEUE_PREFIX: "stack2",
      SNAPSHOT_EVERY: "50",
      DATABASE_READER_ROLE: "tenant_reader",
    });
    expect(config).toMatchObject({
      nodeEnv: "production",
      port: 5000,
      workerPort: 5001,
      jwtSecret: SECRET,
      jwtSecretIsDefault: false,
      dataKeySecret: DATA_KEY,
      dataKeySecretIsDefault: false,
      dataKeyPreviousSecrets: ["o".repeat(16), "p".repeat(20)],
      dataKeyCacheMs: 5000,
      jwtIssuer: "https://issuer.example",
      jwtAudience: "coop-api",
      corsOrigins: ["https://app.example.com", "http://localhost:5173"],
      dashboardPassword: "correct horse battery",
      queuePrefix: "stack2",
      snapshotEvery: 50,
      databaseReaderRole: "tenant_reader",
    });
  });

  it("refuses bad values with a message naming the variable", () => {
    const env = { JWT_SECRET: SECRET, DATA_KEY_SECRET: DATA_KEY };
    expect(() => loadConfig({ ...env, PORT: "http" })).toThrow(/PORT must be a whole number/);
    expect(() => loadConfig({ ...env, PORT: "70000" })).toThrow(/PORT/);
    expect(() => loadConfig({ ...env, DATABASE_URL: "mysql://x" })).toThrow(/DATABASE_URL must start with postgresql:/);
    expect(() => loadConfig({ ...env, REDIS_URL: "not a url" })).toThrow(/REDIS_URL is not a valid URL/);
    expect(() => loadConfig({ ...env, QUEUE_PREFIX: "a b" })).toThrow(/QUEUE_PREFIX/);
    expect(() => loadConfig({ ...env, DATABASE_READER_ROLE: "Reader; DROP" })).toThrow(/DATABASE_READER_ROLE must be a plain lower-case role name/);
    expect(() => loadConfig({ JWT_SECRET: "short" })).toThrow(/JWT_SECRET must be at least 16/);
    expect(() => loadConfig({ JWT_SECRET: SECRET, DATA_KEY_SECRET: "short" })).toThrow(/DATA_KEY_SECRET must be at least 16/);
    expect(() => loadConfig({ ...env, DATA_KEY_SECRET_PREVIOUS: "short" })).toThrow(/DATA_KEY_SECRET_PREVIOUS/);
    expect(() => loadConfig({ ...env, DATA_KEY_CACHE_MS: "-1" })).toThrow(/DATA_KEY_CACHE_MS/);
    expect(() => loadConfig({ ...env, DASHBOARD_PASSWORD: "short" })).toThrow(/DASHBOARD_PASSWORD must be at least 12/);
    expect(() => loadConfig({ ...env, CORS_ORIGINS: "https://app.example.com/" })).toThrow(/CORS_ORIGINS .*"https:\/\/app\.example\.com\/"/);
  });
});

describe("JWT_SECRET is required unless NODE_ENV is development or test", () => {
  it("refuses to load without it under production, any other NODE_ENV, and with NODE_ENV unset", () => {
    expect(() => loadConfig({})).toThrow(/JWT_SECRET is required unless NODE_ENV is development or test \(NODE_ENV is unset, which counts as production\)/);
    expect(() => loadConfig({ NODE_ENV: "" })).toThrow(/JWT_SECRET is required/);
    expect(() => loadConfig({ NODE_ENV: "production" })).toThrow(/JWT_SECRET is required.*NODE_ENV is "production"/);
    expect(() => loadConfig({ NODE_ENV: "staging", JWT_SECRET: "" })).toThrow(/JWT_SECRET is required/);
  });

  it("takes it when given, and falls back to the development secret under development and test", () => {
    expect(loadConfig({ NODE_ENV: "production", JWT_SECRET: SECRET, DATA_KEY_SECRET: DATA_KEY })).toMatchObject({ jwtSecret: SECRET, jwtSecretIsDefault: false });
    for (const nodeEnv of ["development", "test"]) {
      expect(loadConfig({ NODE_ENV: nodeEnv })).toMatchObject({ jwtSecret: DEVELOPMENT_JWT_SECRET, jwtSecretIsDefault: true });
    }
  });

  it("a tool that does not serve may opt out, and gets the development secret", () => {
    expect(loadConfig({}, { requireJwtSecret: false, requireDataKeySecret: false })).toMatchObject({ nodeEnv: "production", jwtSecret: DEVELOPMENT_JWT_SECRET, jwtSecretIsDefault: true });
  });
});

describe("DATA_KEY_SECRET is required where JWT_SECRET is", () => {
  it("refuses to load without it under production, naming the variable", () => {
    expect(() => loadConfig({ JWT_SECRET: SECRET })).toThrow(/DATA_KEY_SECRET is required unless NODE_ENV is development or test \(NODE_ENV is unset/);
    expect(() => loadConfig({ NODE_ENV: "production", JWT_SECRET: SECRET, DATA_KEY_SECRET: "" })).toThrow(/DATA_KEY_SECRET is required/);
  });

  it("falls back to the development secret under development and test, and for tools that opt out", () => {
    for (const nodeEnv of ["development", "test"]) {
      expect(loadConfig({ NODE_ENV: nodeEnv })).toMatchObject({ dataKeySecret: DEVELOPMENT_DATA_KEY_SECRET, dataKeySecretIsDefault: true });
    }
    expect(loadConfig({ JWT_SECRET: SECRET }, { requireDataKeySecret: false })).toMatchObject({ dataKeySecretIsDefault: true });
  });

  it("names the channel on which forgotten keys are announced", () => {
    expect(keysForgottenChannel("stack2")).toBe("stack2:keys-forgotten");
  });
});

describe("CORS_ORIGINS", () => {
  it("defaults to none, and to any origin under development only", () => {
    expect(parseCorsOrigins(undefined, "production")).toEqual([]);
    expect(parseCorsOrigins(undefined, "test")).toEqual([]);
    expect(parseCorsOrigins(" ", "production")).toEqual([]);
    expect(parseCorsOrigins(undefined, "development")).toEqual(["*"]);
    expect(parseCorsOrigins("https://app.example.com", "development")).toEqual(["https://app.example.com"]);
  });

  it("normalises origins as browsers send them, and `*` means any", () => {
    expect(parseCorsOrigins("HTTPS://App.Example.com:443,http://localhost:5173,,http://127.0.0.1:8080 ", "production")).toEqual([
      "https://app.example.com",
      "http://localhost:5173",
      "http://127.0.0.1:8080",
    ]);
    expect(parseCorsOrigins("http://[::1]:3000", "production")).toEqual(["http://[::1]:3000"]);
    expect(parseCorsOrigins("capacitor://localhost", "production")).toEqual(["capacitor://localhost"]);
    expect(parseCorsOrigins("*", "production")).toEqual(["*"]);
    expect(parseCorsOrigins("https://a.example, *", "production")).toEqual(["*"]);
  });

  it("refuses anything that is not an origin, naming the variable and the entry", () => {
    for (const bad of ["app.example.com", "https://app.example.com/path", "https://app.example.com/", "https://user@app.example.com", "https://a.example?x=1", "https://*.example.com", "null", "https://a.example:99999", "https://"]) {
      expect(() => parseCorsOrigins(`https://ok.example,${bad}`, "production"), bad).toThrow(new RegExp(`^CORS_ORIGINS must list origins .*got "${bad.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}"$`));
    }
  });
});
