import { spawn, type ChildProcess } from "node:child_process";
import { WORKER_DIR, type WorkerEnv } from "./workers";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  child: ChildProcess;
  /** Settles when the process exits (however it exits). */
  done: Promise<CliResult>;
}

/** Starts `projections.cli.ts` as `pnpm projections` does, against a test stack's env. */
export function startProjectionsCli(args: string[], env: WorkerEnv): RunningCli {
  const childEnv: Record<string, string | undefined> = { ...process.env, LOG_LEVEL: "warn", ...env };
  const child = spawn(process.execPath, ["--import", "tsx", "src/ops/projections.cli.ts", ...args], {
    cwd: WORKER_DIR,
    env: childEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
  const done = new Promise<CliResult>((resolve) => child.on("exit", (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

/** Runs `projections.cli.ts` to the end; killed, and an error, after `timeoutMs`. */
export async function runProjectionsCli(args: string[], env: WorkerEnv, timeoutMs = 120_000): Promise<CliResult> {
  const { child, done } = startProjectionsCli(args, env);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, timeoutMs);
  const result = await done;
  clearTimeout(timer);
  if (timedOut) throw new Error(`projections ${args.join(" ")} did not finish within ${timeoutMs} ms\n${result.stdout}\n${result.stderr}`);
  return result;
}
