import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** apps/worker, wherever the tests run from. */
export const WORKER_DIR = fileURLToPath(new URL("../..", import.meta.url));
/** apps/gateway: the fault tests run a real gateway process beside the workers. */
export const GATEWAY_DIR = fileURLToPath(new URL("../../../gateway", import.meta.url));

export interface WorkerEnv {
  DATABASE_URL: string;
  REDIS_URL: string;
  QUEUE_PREFIX: string;
  LOG_LEVEL?: string;
  COOP_FAULT_INJECTION?: string;
  COOP_APPLY_AUDIT?: string;
  WORKER_JOB_LOCK_MS?: string;
  WORKER_REBUILD_CHUNK?: string;
  WORKER_LEASE_MS?: string;
  WORKER_PROJECTIONS?: string;
  WORKER_PUBLISHER?: string;
  PROJECTION_LANES?: string;
  PROJECTION_RETRY_WINDOW_MS?: string;
  PROJECTION_PARK_LIMIT?: string;
  PROJECTION_PARK_RETRY_MS?: string;
  PROJECTION_ERROR_RETRY_MS?: string;
  DASHBOARD_PASSWORD?: string;
  WORKER_DB_POOL?: string;
  /** Anything else a child reads (the gateway's PORT, JWT_SECRET, ...). */
  [name: string]: string | undefined;
}

/** A real worker process (`node --import tsx src/main.ts`), as deployments run it. */
export class WorkerProcess {
  private readonly output: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exitState: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private readonly child: ChildProcess;
  private portWaiters: ((port: number) => void)[] = [];
  private port: number | null = null;

  constructor(
    readonly label: string,
    env: WorkerEnv,
    /** The app to run: a worker (default), or the gateway (give it PORT). */
    cwd = WORKER_DIR,
  ) {
    const childEnv: Record<string, string | undefined> = {
      ...process.env,
      // Test rules (the development secret is allowed), whatever the shell running the tests says.
      NODE_ENV: "test",
      WORKER_PORT: "0",
      LOG_LEVEL: process.env.WORKER_TEST_LOG_LEVEL || "warn",
      ...env,
    };
    if (!env.COOP_FAULT_INJECTION) delete childEnv.COOP_FAULT_INJECTION;
    this.child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], { cwd, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
    // A test run that ends without its afterAll (a hook timeout, Ctrl-C) must not leave it running.
    const child = this.child;
    const killOnExit = () => child.kill("SIGKILL");
    process.once("exit", killOnExit);
    child.once("exit", () => process.off("exit", killOnExit));
    const collect = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      // Debugging aid: WORKER_TEST_LOG_DIR=/tmp/x keeps every worker's full output.
      const logDir = process.env.WORKER_TEST_LOG_DIR;
      if (logDir) {
        mkdirSync(logDir, { recursive: true });
        appendFileSync(`${logDir}/${env.QUEUE_PREFIX}-${this.label}.log`, text);
      }
      this.output.push(text);
      if (this.output.length > 400) this.output.splice(0, this.output.length - 400);
      const match = /"port":(\d+)/.exec(text);
      if (match && this.port === null) {
        this.port = Number(match[1]);
        for (const w of this.portWaiters) w(this.port);
        this.portWaiters = [];
      }
    };
    this.child.stdout!.on("data", collect);
    this.child.stderr!.on("data", collect);
    this.exited = new Promise((resolve) => {
      this.child.on("exit", (code, signal) => {
        this.exitState = { code, signal };
        resolve({ code, signal });
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.exitState === null;
  }

  /** The HTTP port it logged (needs LOG_LEVEL=info or lower). */
  httpPort(timeoutMs = 30_000): Promise<number> {
    if (this.port !== null) return Promise.resolve(this.port);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.label} logged no port within ${timeoutMs} ms:\n${this.log()}`)), timeoutMs);
      this.portWaiters.push((port) => {
        clearTimeout(timer);
        resolve(port);
      });
    });
  }

  log(): string {
    return this.output.join("").slice(-8_000);
  }

  /** SIGSTOP: frozen as it is (sockets open, transactions open), like a long pause or a stuck host. */
  freeze(): void {
    if (this.running) this.child.kill("SIGSTOP");
  }

  /** SIGCONT after a freeze. */
  thaw(): void {
    if (this.running) this.child.kill("SIGCONT");
  }

  /** SIGKILL: no cleanup at all, like a crash or an OOM kill. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill("SIGKILL");
    await this.exited;
  }

  /** SIGTERM and wait for the graceful exit; SIGKILL after `timeoutMs`. Returns the exit code. */
  async stop(timeoutMs = 30_000): Promise<number | null> {
    if (!this.running) return this.exitState?.code ?? null;
    this.child.kill("SIGCONT"); // a frozen process cannot hear SIGTERM
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    const { code } = await this.exited;
    clearTimeout(timer);
    return code;
  }
}
