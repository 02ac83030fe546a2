// The readable table `pnpm bench` prints, with each target of issue 6 beside its figure.
type Result = Record<string, unknown> & {
  raw: Record<string, Record<string, number>>;
  ceilings: Record<string, Record<string, number>>;
  ratios: Record<string, number | null>;
};

interface Row {
  workload: string;
  figure: string;
  value: number | null | undefined;
  target: string;
  holds: boolean | null;
}

export function targetRows(result: Result): Row[] {
  const get = (key: string, figure: string) => (result[key] as Record<string, number> | undefined)?.[figure];
  const row = (workload: string, figure: string, value: number | null | undefined, target: string, test: ((v: number) => boolean) | null): Row => ({
    workload,
    figure,
    value,
    target,
    holds: test && typeof value === "number" ? test(value) : null,
  });
  const replay = get("replay_vs_readmodel", "replayMs");
  const g1 = (key: string, figure: string) => result.ceilings[key]?.[figure];
  const rls = result.rls as { reader?: Record<string, number>; owner?: Record<string, number>; overhead?: number | null } | undefined;
  const scale = result.scale as
    | { runs: Record<string, number>[]; bestCatchupEventsPerSec: number; lanes4Over1: number | null; projectionLag: Record<string, number> }
    | null
    | undefined;
  const workerCpu = result.worker_cpu as
    | { publisherMsPer1000Events: number; projections: Record<string, number>; allMsPer1000Events: number; allMsPer1000LogEvents: number }
    | null
    | undefined;
  const scaleRows = scale
    ? [
        ...scale.runs.map((r) =>
          row("scale", `catch-up, ${r.workers} worker(s), ${r.lanes} lane(s): eventsPerSec`, r.eventsPerSec, `CPU ms per 1,000 events ${r.cpuMsPer1000Events} (${r.cpuMsPer1000Applied} per 1,000 applied)`, null),
        ),
        row("scale", "bestCatchupEventsPerSec", scale.bestCatchupEventsPerSec, "≥ 40,000", (v) => v >= 40_000),
        row("scale", "lanes4Over1 (2 workers)", scale.lanes4Over1, "≥ 1", (v) => v >= 1),
        row("scale", "projection lag p50Ms / p99Ms, 2 workers", scale.projectionLag.p50Ms, `p99 ${scale.projectionLag.p99Ms} at ${scale.projectionLag.achievedPerSec} commands/s`, null),
      ]
    : [];
  const workerCpuRows = workerCpu
    ? [
        row("worker_cpu", "publisher: CPU ms per 1,000 events", workerCpu.publisherMsPer1000Events, "", null),
        ...Object.entries(workerCpu.projections).map(([name, v]) => row("worker_cpu", `${name}: CPU ms per 1,000 applied`, v, "", null)),
        row("worker_cpu", "all: CPU ms per 1,000 applied", workerCpu.allMsPer1000Events, `per 1,000 of the log ${workerCpu.allMsPer1000LogEvents}`, null),
      ]
    : [];
  return [
    row("append_concurrent", "perSec", get("append_concurrent", "perSec"), `raw ${result.raw.append_concurrent?.perSec}; ratio ≥ 0.7`, () => (result.ratios.append_concurrent ?? 0) >= 0.7),
    row("append_concurrent", "p50Ms / p99Ms", get("append_concurrent", "p50Ms"), `p99 ${get("append_concurrent", "p99Ms")}`, null),
    row("append_sequential", "perSec", get("append_sequential", "perSec"), `raw ${result.raw.append_sequential?.perSec}; ratio ≥ 0.7`, () => (result.ratios.append_sequential ?? 0) >= 0.7),
    row("append_batch", "eventsPerSec", get("append_batch", "eventsPerSec"), `raw ${result.raw.append_batch?.eventsPerSec}; ratio ≥ 0.7`, () => (result.ratios.append_batch ?? 0) >= 0.7),
    row("replay_vs_readmodel", "replayMs", replay, "≤ 40", (v) => v <= 40),
    row("replay_vs_readmodel", "snapshotLoadMs", get("replay_vs_readmodel", "snapshotLoadMs"), "≤ replayMs / 100", (v) => replay !== undefined && v * 100 <= replay),
    row("replay_vs_readmodel", "readModelMs", get("replay_vs_readmodel", "readModelMs"), "", null),
    row("command_e2e", "perSec", get("command_e2e", "perSec"), "≥ 1,500", (v) => v >= 1500),
    row("command_e2e", "p99Ms", get("command_e2e", "p99Ms"), "< 25", (v) => v < 25),
    row("command_e2e", "perSec / G1", result.ratios.command_e2e_over_g1, `G1 (no-I/O ceiling) ${g1("g1_mutation", "perSec")}/s, p99 ${g1("g1_mutation", "p99Ms")}`, null),
    row("command_e2e", "gatewayCpuMsPer1000Commands", get("command_e2e", "gatewayCpuMsPer1000Commands"), `G1 ${g1("g1_mutation", "gatewayCpuMsPer1000Commands")}`, null),
    row("command_e2e", "postgresCpuMsPer1000Commands", get("command_e2e", "postgresCpuMsPer1000Commands"), "(the whole PostgreSQL server)", null),
    row("command_e2e_with_worker", "perSec", get("command_e2e_with_worker", "perSec"), "(worker on the same 2 cores)", null),
    row("command_e2e_with_worker", "p99Ms", get("command_e2e_with_worker", "p99Ms"), "", null),
    row("command_e2e_with_worker", "perSec / G1", result.ratios.command_e2e_with_worker_over_g1, "", null),
    row("command_e2e_with_worker", "perSec / command_e2e", result.ratios.command_e2e_with_worker_over_command_e2e, "", null),
    row("command_e2e_with_worker", "gatewayCpuMsPer1000Commands", get("command_e2e_with_worker", "gatewayCpuMsPer1000Commands"), "", null),
    row("command_e2e_with_worker", "workerCpuMsPer1000Events", get("command_e2e_with_worker", "workerCpuMsPer1000Events"), "(events summed over projections)", null),
    row("command_e2e_with_worker", "postgresCpuMsPer1000Events", get("command_e2e_with_worker", "postgresCpuMsPer1000Events"), "(commands and projections)", null),
    row("projection_lag", "p50Ms", get("projection_lag", "p50Ms"), "≤ 15", (v) => v <= 15),
    row("projection_lag", "p99Ms", get("projection_lag", "p99Ms"), "≤ 60", (v) => v <= 60),
    row("projection_lag", "workerCpuMsPer1000Events", get("projection_lag", "workerCpuMsPer1000Events"), "", null),
    row("projection_lag", "postgresCpuMsPer1000Events", get("projection_lag", "postgresCpuMsPer1000Events"), "(commands and projections)", null),
    row("read_your_writes", "p50Ms (mutation selecting family)", get("read_your_writes", "p50Ms"), `≤ 1.5 × (lag p50 + e2e p50); ratio ${result.ratios.read_your_writes_over_lag_plus_e2e}`, () => (result.ratios.read_your_writes_over_lag_plus_e2e ?? Infinity) <= 1.5),
    row("read_your_writes", "p99Ms", get("read_your_writes", "p99Ms"), "", null),
    row("read_your_writes", "consistentQueryP50Ms / P99Ms", get("read_your_writes", "consistentQueryP50Ms"), `p99 ${get("read_your_writes", "consistentQueryP99Ms")}`, null),
    row("subscription_fanout", "p50Ms (receipt to message)", get("subscription_fanout", "p50Ms"), `missed ${get("subscription_fanout", "missed")}`, null),
    row("subscription_fanout", "p99Ms", get("subscription_fanout", "p99Ms"), "≤ 100", (v) => v <= 100),
    row("catchup", "eventsPerSec", get("catchup", "eventsPerSec"), "≥ 20,000", (v) => v >= 20_000),
    row("query", "familyByIdP50Ms", get("query", "familyByIdP50Ms"), "< 2", (v) => v < 2),
    row("query", "atRiskP50Ms", get("query", "atRiskP50Ms"), "< 5", (v) => v < 5),
    row("query", "searchP50Ms", get("query", "searchP50Ms"), "< 10", (v) => v < 10),
    row("query", "familyByIdPerSec (16 in flight)", get("query", "familyByIdPerSec"), `G1 ${g1("g1_query", "perSec")}/s; ratio ${result.ratios.family_by_id_over_g1}`, null),
    ...(["familyByIdP50Ms", "atRiskP50Ms", "searchP50Ms"] as const).map((figure) =>
      row("rls", `${figure} reader / owner`, rls?.reader?.[figure], `owner ${rls?.owner?.[figure]}`, null),
    ),
    row("rls", "overhead (worst ratio)", rls?.overhead, "≤ 1.10", (v) => v <= 1.1),
    ...scaleRows,
    ...workerCpuRows,
  ];
}

export function printTable(result: Result): void {
  const rows = targetRows(result).map((r) => [r.workload, r.figure, r.value === undefined || r.value === null ? "-" : String(r.value), r.target, r.holds === null ? "" : r.holds ? "yes" : "NO"]);
  const header = ["workload", "figure", "value", "target", "holds"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(r));
}
