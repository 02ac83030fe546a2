import type { StreamPlan, Workload, WorkloadOptions } from "./feature";
import { features } from "./features";
import { Random } from "./random";

export type { StreamPlan, Workload, WorkloadOptions } from "./feature";

/** A random, valid workload: each feature adds its commands, in the order of the list. */
export function generateWorkload(options: WorkloadOptions): Workload {
  const rnd = new Random(options.seed);
  const workload = { plans: [] as StreamPlan[], tenants: options.tenants ?? ["tenant-a", "tenant-b"] };
  for (const feature of features) feature.plan(workload, options, rnd);
  return { seed: options.seed, plans: workload.plans, totalCommands: workload.plans.reduce((n, p) => n + p.commands.length, 0) };
}
