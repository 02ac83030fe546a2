// CPU time of a child process (and every process under it), for figures such as CPU per 1,000
// commands. Linux only: it reads /proc. Any pid works: a gateway, a worker, a publisher.
import { execFileSync } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import type pg from "pg";
import { parseProcStat, processTreeTicks, type ProcStat } from "./proc-stat";

let ticksPerSecond: number | undefined;

/** The kernel's clock ticks per second (`getconf CLK_TCK`), 100 when getconf cannot say. */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    let value = Number.NaN;
    try {
      value = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    } catch {
      // no getconf: Linux's USER_HZ is 100 on every common architecture
    }
    ticksPerSecond = Number.isInteger(value) && value > 0 ? value : 100;
  }
  return ticksPerSecond;
}

async function readAllStats(): Promise<ProcStat[]> {
  const pids = (await readdir("/proc")).filter((name) => /^\d+$/.test(name));
  const stats = await Promise.all(
    pids.map(async (pid) => {
      try {
        return parseProcStat(await readFile(`/proc/${pid}/stat`, "utf8"));
      } catch {
        return null; // ended between the listing and the read
      }
    }),
  );
  return stats.filter((s): s is ProcStat => s !== null);
}

/**
 * CPU time (user + system) used so far by `pid` and every process under it, in ms. The tree
 * matters: `tsx src/main.ts` is a launcher whose child runs the app.
 */
export async function processTreeCpuMs(pid: number): Promise<number> {
  const ticks = processTreeTicks(pid, await readAllStats());
  if (ticks === null) throw new Error(`process ${pid} is not running: no CPU time to read`);
  return (ticks * 1000) / clockTicksPerSecond();
}

export interface CpuMeter {
  /** CPU ms used by the process tree since the meter started. */
  usedMs(): Promise<number>;
}

/** Starts counting the CPU time of `pid`'s process tree. */
export async function startCpuMeter(pid: number): Promise<CpuMeter> {
  const startMs = await processTreeCpuMs(pid);
  return { usedMs: async () => (await processTreeCpuMs(pid)) - startMs };
}

/**
 * CPU time of the PostgreSQL server the pool talks to: its postmaster's process tree (every
 * backend, the WAL writer, the checkpointer, autovacuum; exited backends through the reaped
 * children's time). The whole server, every database on it included. Null when the server is not
 * on this machine (its processes are not in /proc) or not PostgreSQL's own process tree.
 */
export async function startPostgresCpuMeter(pool: pg.Pool): Promise<CpuMeter | null> {
  const { rows } = await pool.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
  let postmaster: number;
  try {
    const backend = parseProcStat(await readFile(`/proc/${rows[0]!.pid}/stat`, "utf8"));
    if (!(await readFile(`/proc/${backend.ppid}/stat`, "utf8")).includes("(postgres)")) return null;
    postmaster = backend.ppid;
  } catch {
    return null; // a server elsewhere (or a pid namespace of its own)
  }
  return startCpuMeter(postmaster);
}
