// Linux's /proc/<pid>/stat, read for CPU time: the parsing and the sum over a process tree, pure.

/** The fields of one /proc/<pid>/stat line that CPU accounting needs, in clock ticks. */
export interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime: CPU the process itself has used, every thread included. */
  ownTicks: number;
  /** cutime + cstime: CPU of its children that have exited and been waited for. */
  reapedChildTicks: number;
}

/**
 * Parses one /proc/<pid>/stat line (proc(5)). The command name, field 2, is in parentheses and may
 * itself hold spaces and parentheses, so the fields are counted from the last ')'.
 */
export function parseProcStat(line: string): ProcStat {
  const open = line.indexOf(" (");
  const close = line.lastIndexOf(")");
  if (open < 0 || close < open) throw new Error(`not a /proc/<pid>/stat line: ${line.slice(0, 80)}`);
  const pid = Number(line.slice(0, open));
  // Field 3 (state) onwards: ppid is field 4, utime 14, stime 15, cutime 16, cstime 17.
  const rest = line.slice(close + 2).trim().split(/\s+/);
  const field = (n: number) => Number(rest[n - 3]);
  const stat = { pid, ppid: field(4), ownTicks: field(14) + field(15), reapedChildTicks: field(16) + field(17) };
  if (!Object.values(stat).every(Number.isInteger)) throw new Error(`not a /proc/<pid>/stat line: ${line.slice(0, 80)}`);
  return stat;
}

/**
 * CPU ticks used by `rootPid` and every process under it, or null when it is not among `stats`.
 * A live process counts its own ticks; one that has exited and been reaped counts in its parent's
 * reapedChildTicks; so each process is counted once, before and after it ends.
 */
export function processTreeTicks(rootPid: number, stats: readonly ProcStat[]): number | null {
  const byParent = new Map<number, ProcStat[]>();
  let root: ProcStat | undefined;
  for (const stat of stats) {
    if (stat.pid === rootPid) root = stat;
    const siblings = byParent.get(stat.ppid);
    if (siblings) siblings.push(stat);
    else byParent.set(stat.ppid, [stat]);
  }
  if (!root) return null;
  let ticks = 0;
  const seen = new Set<number>();
  const queue = [root];
  while (queue.length > 0) {
    const stat = queue.pop()!;
    if (seen.has(stat.pid)) continue;
    seen.add(stat.pid);
    ticks += stat.ownTicks + stat.reapedChildTicks;
    queue.push(...(byParent.get(stat.pid) ?? []));
  }
  return ticks;
}
