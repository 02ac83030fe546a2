#!/usr/bin/env node
// `pnpm dev`: creates the database if missing, applies migrations, then runs the gateway and one
// worker together with their logs interleaved. Ctrl-C stops both; if either dies, so does dev.
import { spawn } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const tsx = join(root, "node_modules/.bin/tsx");
// Development rules (the development secret, CORS for any origin, the open queue dashboard, a
// ready-made token in the log) unless the shell asks for others.
const env = { ...process.env, NODE_ENV: process.env.NODE_ENV || "development" };

function run(name, cwd, script, { pretty } = {}) {
  const child = spawn(tsx, [script], { cwd: join(root, cwd), env, stdio: ["ignore", "pipe", "pipe"] });
  const prefix = `[${name}]`.padEnd(10);
  const forward = (stream, out) => {
    let buffered = "";
    stream.on("data", (chunk) => {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop();
      for (const line of lines) out.write(`${prefix}${pretty ? readable(line) : line}\n`);
    });
  };
  forward(child.stdout, process.stdout);
  forward(child.stderr, process.stderr);
  return child;
}

// Logs are JSON for machines; in dev, show level, message and the interesting fields.
function readable(line) {
  try {
    const { level, time, msg, pid, hostname, ...rest } = JSON.parse(line);
    const levels = { 10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal" };
    const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : "";
    return `${levels[level] ?? level} ${msg ?? ""}${extra}`;
  } catch {
    return line;
  }
}

async function migrate() {
  const child = run("migrate", "packages/database", "src/migrate.cli.ts");
  const code = await new Promise((done) => child.on("exit", done));
  if (code !== 0) {
    console.error("dev: migrations failed; is PostgreSQL running? (see DATABASE_URL in the README)");
    process.exit(code ?? 1);
  }
}

await migrate();
const children = [run("gateway", "apps/gateway", "src/main.ts", { pretty: true }), run("worker", "apps/worker", "src/main.ts", { pretty: true })];
let stopping = false;
function stop(code) {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
  setTimeout(() => process.exit(code), 10_000).unref();
  Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.on("exit", r))))).then(() => process.exit(code));
}
for (const child of children) {
  child.on("exit", (code, signal) => {
    if (!stopping) {
      console.error(`dev: a process exited (${signal ?? `code ${code}`}); stopping the other`);
      stop(code || 1);
    }
  });
}
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));
