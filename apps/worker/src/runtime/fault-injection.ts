// TEST ONLY. COOP_FAULT_INJECTION makes a projection fail on chosen events, the way a buggy
// reducer would, to prove that failures stay contained. Applied by wrapping the projection when
// the variable is set, so that the production path has no such check at all.
import type { ProjectionDefinition } from "../projections/types";
import type { FaultRule } from "../config";
import { describeEvent } from "../projections/fold";

/** The projection, failing on every event whose `data[field]` equals a rule's value. */
export function withInjectedFaults(projection: ProjectionDefinition, rules: readonly FaultRule[]): ProjectionDefinition {
  const mine = rules.filter((r) => r.projection === projection.name);
  if (mine.length === 0) return projection;
  return {
    ...projection,
    async apply(client, events, tables) {
      for (const rule of mine) {
        const hit = events.find((e) => {
          const value = (e.data as Record<string, unknown> | null)?.[rule.field];
          return value !== undefined && String(value) === rule.value;
        });
        if (hit) throw new Error(`injected fault (COOP_FAULT_INJECTION, test only): ${projection.name} refuses ${describeEvent(hit)} with ${rule.field}=${rule.value}`);
      }
      return projection.apply(client, events, tables);
    },
  };
}
