// Coordinators in the worker's test kit: per tenant, registrations of some of the names the
// families' workload assigns (one name registered twice, refused), and limit changes; and the rows
// coordinator-caseload must hold, counted from the families' assignments and withdrawals.
import type { AnyCommand, ExpectedTable, FeatureModel, StreamPlan, TestFeature, Verdict, WorkloadOptions } from "../feature";
import type { Random } from "../random";

function planCoordinators(workload: { plans: StreamPlan[]; tenants: readonly string[] }, _options: WorkloadOptions, rnd: Random): void {
  for (const tenantId of workload.tenants) {
    // One plan per tenant, sent in order, so that the duplicate name comes after the original.
    const commands: AnyCommand[] = [];
    const ids: string[] = [];
    for (let n = 1; n <= 8; n++) {
      const coordinatorId = rnd.uuid();
      ids.push(coordinatorId);
      commands.push({ type: "RegisterCoordinator", payload: { coordinatorId, name: `coordinator-${n}`, caseloadLimit: rnd.int(1, 30) } });
    }
    commands.push({ type: "RegisterCoordinator", payload: { coordinatorId: rnd.uuid(), name: "coordinator-3", caseloadLimit: 5 } }); // refused: the name is taken
    for (let i = 0; i < 6; i++) commands.push({ type: "SetCaseloadLimit", payload: { coordinatorId: rnd.pick(ids), caseloadLimit: rnd.int(1, 500) } });
    commands.push({ type: "SetCaseloadLimit", payload: { coordinatorId: rnd.uuid(), caseloadLimit: 10 } }); // refused: no such coordinator
    workload.plans.push({ tenantId, streamId: `coordinators-of-${tenantId}`, commands });
  }
}

interface Coordinator {
  tenant_id: string;
  coordinator_id: string;
  name: string;
  caseload_limit: number;
  version: number;
}

interface Assignment {
  tenant_id: string;
  family_id: string;
  coordinator: string | null;
  enrolled: boolean;
  version: number;
}

class CoordinatorsModel implements FeatureModel {
  private readonly coordinators = new Map<string, Coordinator>();
  private readonly names = new Set<string>();
  private readonly assignments = new Map<string, Assignment>();
  /** Events per family stream so far: the version an assignment row carries. */
  private readonly familyEvents = new Map<string, number>();

  predict(tenantId: string, command: AnyCommand): Verdict | null {
    const p = command.payload as { coordinatorId: string; name?: string };
    if (command.type === "RegisterCoordinator") {
      if (this.coordinators.has(`${tenantId}/${p.coordinatorId}`) || this.names.has(`${tenantId}/${p.name!.trim()}`)) {
        return { accepted: false, reason: "COORDINATOR_EXISTS" };
      }
      return { accepted: true };
    }
    if (command.type === "SetCaseloadLimit") {
      return this.coordinators.has(`${tenantId}/${p.coordinatorId}`) ? { accepted: true } : { accepted: false, reason: "NOT_FOUND" };
    }
    return null;
  }

  accept(tenantId: string, command: AnyCommand): void {
    const p = command.payload as { coordinatorId: string; name: string; caseloadLimit: number; familyId?: string; coordinator: string };
    switch (command.type) {
      case "RegisterCoordinator":
        this.coordinators.set(`${tenantId}/${p.coordinatorId}`, { tenant_id: tenantId, coordinator_id: p.coordinatorId, name: p.name.trim(), caseload_limit: p.caseloadLimit, version: 1 });
        this.names.add(`${tenantId}/${p.name.trim()}`);
        return;
      case "SetCaseloadLimit": {
        const c = this.coordinators.get(`${tenantId}/${p.coordinatorId}`)!;
        c.caseload_limit = p.caseloadLimit;
        c.version++;
        return;
      }
    }
    if (typeof p.familyId !== "string") return;
    const key = `${tenantId}/${p.familyId}`;
    const version = (this.familyEvents.get(key) ?? 0) + 1;
    this.familyEvents.set(key, version);
    const row = this.assignments.get(key);
    if (command.type === "EnrollFamily") this.assignments.set(key, { tenant_id: tenantId, family_id: p.familyId, coordinator: null, enrolled: true, version });
    else if (command.type === "AssignCoordinator") Object.assign(row!, { coordinator: p.coordinator.trim(), version });
    else if (command.type === "WithdrawFamily" || command.type === "ForgetFamily") Object.assign(row!, { enrolled: false, version });
  }

  tables(): Record<string, ExpectedTable> {
    const caseloads = new Map<string, { tenant_id: string; coordinator: string; caseload: number }>();
    for (const a of this.assignments.values()) {
      if (!a.enrolled || a.coordinator === null) continue;
      const key = `${a.tenant_id}/${a.coordinator}`;
      const row = caseloads.get(key) ?? { tenant_id: a.tenant_id, coordinator: a.coordinator, caseload: 0 };
      row.caseload++;
      caseloads.set(key, row);
    }
    return {
      coordinators: { keys: ["tenant_id", "coordinator_id"], rows: [...this.coordinators.values()] },
      coordinator_assignments: { keys: ["tenant_id", "family_id"], rows: [...this.assignments.values()] },
      coordinator_caseloads: { keys: ["tenant_id", "coordinator"], rows: [...caseloads.values()] },
    };
  }
}

export const coordinatorsFeature: TestFeature = {
  name: "coordinators",
  plan: planCoordinators,
  model: () => new CoordinatorsModel(),
};
