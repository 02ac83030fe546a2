import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { SignJWT } from "jose";
import { freePort } from "@coop/process";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const tsx = join(root, "node_modules/.bin/tsx");

export interface StackEnv {
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  jwtSecret: string;
  /** DATA_KEY_SECRET of the processes (they run as production). */
  dataKeySecret: string;
}

export interface AppProcessOptions {
  extraEnv?: Record<string, string>;
  /** The app's entry script (default src/main.ts); the gateway's ceiling is src/testing/ceiling.ts. */
  entry?: string;
  /** What logs, errors and BENCH_PROFILE call it (default the app's name). */
  name?: string;
}

/** One gateway or worker process of the real app, started the way an operator starts it. */
export class AppProcess {
  private constructor(
    readonly name: string,
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly output: string[],
  ) {}

  static async start(app: "gateway" | "worker", env: StackEnv, options: AppProcessOptions = {}): Promise<AppProcess> {
    const { extraEnv = {}, entry = "src/main.ts", name = app } = options;
    const port = await freePort();
    const output: string[] = [];
    // BENCH_PROFILE=gateway|worker|ceiling writes a CPU profile of that process to bench-results/ on exit.
    const profile = process.env.BENCH_PROFILE === name;
    const command = profile ? process.execPath : tsx;
    const argv = profile ? ["--cpu-prof", `--cpu-prof-dir=${join(root, "bench-results")}`, "--import", "tsx", entry] : [entry];
    const child = spawn(command, argv, {
      cwd: join(root, "apps", app),
      env: {
        ...process.env,
        NODE_ENV: "production",
        LOG_LEVEL: "warn",
        DATABASE_URL: env.databaseUrl,
        REDIS_URL: env.redisUrl,
        QUEUE_PREFIX: env.queuePrefix,
        JWT_SECRET: env.jwtSecret,
        DATA_KEY_SECRET: env.dataKeySecret,
        ...(app === "gateway" ? { PORT: String(port) } : { WORKER_PORT: String(port) }),
        ...extraEnv,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const keep = (chunk: Buffer) => {
      output.push(chunk.toString());
      if (output.length > 200) output.shift();
    };
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    const proc = new AppProcess(name, `http://127.0.0.1:${port}`, child, output);
    await proc.waitReady();
    return proc;
  }

  /** The process the bench started (tsx's launcher: the app runs in its child; see processTreeCpuMs). */
  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.name} has no process id`);
    return this.child.pid;
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`${this.name} exited during start-up:\n${this.output.join("")}`);
      try {
        const response = await fetch(`${this.url}/readyz`);
        if (response.status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(`${this.name} was not ready within 60 s:\n${this.output.join("")}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((done) => this.child.once("exit", done));
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

/** A bench user's token for every role of `tenantId`, signed with the stack's JWT_SECRET. */
export function benchToken(env: StackEnv, tenantId: string, expiresIn: string): Promise<string> {
  return new SignJWT({ tenant_id: tenantId, roles: ["admin", "coordinator", "finance"] })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject("bench")
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(env.jwtSecret));
}
