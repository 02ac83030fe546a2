import { spawn } from "node:child_process";
import { WORKER_DIR, type WorkerEnv } from "./workers";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `projections.cli.ts` as `pnpm projections` does, against a test stack's env. */
export function runProjectionsCli(args: string[], env: WorkerEnv, timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const childEnv: Record<string, string | undefined> = { ...process.env, LOG_LEVEL: "warn", ...env };
    const child = spawn(process.execPath, ["--import", "tsx", "src/ops/projections.cli.ts", ...args], {
      cwd: WORKER_DIR,
      env: childEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`projections ${args.join(" ")} did not finish within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
