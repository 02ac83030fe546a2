// Coordinators (CONTRACT section 11) over real HTTP with a real worker child process projecting
// coordinator-caseload: registration and limits, unique names, caseloads that follow assignments
// and withdrawals (computed here from what the test sent), overLimit, roles and tenants.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { todayUtc } from "./support/dates";
import { M, Q, validInput } from "./support/operations";
import { firstError, ok, type Receipt } from "./support/results";
import { startStack, type Stack } from "./support/stack";
import { waitUntil } from "./support/wait";

let stack: Stack;
const tenant = `t-coord-${randomUUID().slice(0, 8)}`;
const otherTenant = `t-coord-other-${randomUUID().slice(0, 8)}`;
const today = todayUtc();
let admin: string;
let coordinator: string;
let finance: string;
let otherAdmin: string;

interface CoordinatorData {
  id: string;
  name: string;
  caseloadLimit: number;
  caseload: number;
  overLimit: boolean;
}

beforeAll(async () => {
  stack = await startStack("coop_test_gw_coordinators", { worker: true });
  admin = await stack.token(tenant, ["admin"], "admin-ada");
  coordinator = await stack.token(tenant, ["coordinator"], "coordinator-ann");
  finance = await stack.token(tenant, ["finance"], "finance-fred");
  otherAdmin = await stack.token(otherTenant, ["admin"], "admin-other");
});

afterAll(async () => {
  await stack?.stop();
});

async function register(input: Record<string, unknown>, token = admin): Promise<Receipt> {
  return ok(await stack.gql<{ registerCoordinator: Receipt }>(M.registerCoordinator, { input }, { token })).registerCoordinator;
}

async function list(token = admin): Promise<CoordinatorData[]> {
  return ok(await stack.gql<{ coordinators: CoordinatorData[] }>(Q.coordinators, undefined, { token })).coordinators;
}

/** What the test sent: each coordinator's limit, each family's coordinator and whether it is enrolled. */
const model = {
  coordinators: new Map<string, { id: string; name: string; caseloadLimit: number }>(),
  families: new Map<string, { coordinator: string | null; enrolled: boolean }>(),
  expected(): CoordinatorData[] {
    return [...this.coordinators.values()]
      .map((c) => {
        const caseload = [...this.families.values()].filter((f) => f.enrolled && f.coordinator === c.name).length;
        return { ...c, caseload, overLimit: caseload > c.caseloadLimit };
      })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  },
};

async function enroll(): Promise<string> {
  const familyId = randomUUID();
  ok(await stack.gql(M.enrollFamily, { input: validInput("enrollFamily", familyId, today) }, { token: coordinator }));
  model.families.set(familyId, { coordinator: null, enrolled: true });
  return familyId;
}

async function assign(familyId: string, name: string) {
  ok(await stack.gql(M.assignCoordinator, { input: { familyId, coordinator: name } }, { token: coordinator }));
  model.families.get(familyId)!.coordinator = name;
}

async function withdraw(familyId: string) {
  ok(await stack.gql(M.withdrawFamily, { input: validInput("withdrawFamily", familyId, today) }, { token: coordinator }));
  model.families.get(familyId)!.enrolled = false;
}

/** Waits until the coordinators query shows what the model expects. */
async function shows(expected: CoordinatorData[]) {
  const what = JSON.stringify(expected);
  return waitUntil(async () => JSON.stringify(await list()) === what, { what: `coordinators ${what}` });
}

const kimId = randomUUID();
const families: string[] = [];

describe("registering coordinators and setting limits", () => {
  it("registerCoordinator: the receipt names the coordinator's stream; the name is trimmed", async () => {
    const commandId = randomUUID();
    const receipt = await register({ coordinatorId: kimId, name: "  Kim Lee ", caseloadLimit: 2, commandId });
    expect(receipt).toEqual({ commandId, streamId: kimId, version: 1, position: expect.stringMatching(/^\d+$/), events: ["CoordinatorRegistered"] });
    model.coordinators.set(kimId, { id: kimId, name: "Kim Lee", caseloadLimit: 2 });
  });

  it("without a coordinatorId: one generated from the command id, the same when the command is resent", async () => {
    const commandId = randomUUID();
    const input = { name: "Ann Park", caseloadLimit: 1, commandId };
    const first = await register(input);
    expect(first.streamId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const before = await stack.eventCount(tenant);
    expect(await register(input)).toEqual(first);
    expect(await stack.eventCount(tenant)).toBe(before);
    model.coordinators.set(first.streamId, { id: first.streamId, name: "Ann Park", caseloadLimit: 1 });
    const zed = await register({ name: "Zed Obi", caseloadLimit: 500 });
    expect(zed.streamId).not.toBe(first.streamId);
    model.coordinators.set(zed.streamId, { id: zed.streamId, name: "Zed Obi", caseloadLimit: 500 });
  });

  it("a taken name (trimmed alike) or an id already registered: CONFLICT COORDINATOR_EXISTS, nothing appended", async () => {
    const before = await stack.eventCount(tenant);
    for (const input of [
      { name: "Kim Lee", caseloadLimit: 3 },
      { coordinatorId: randomUUID(), name: " Kim Lee  ", caseloadLimit: 3 },
      { coordinatorId: kimId, name: "Kim Another", caseloadLimit: 3 },
    ]) {
      const result = await stack.gql(M.registerCoordinator, { input }, { token: admin });
      expect(firstError(result).extensions, JSON.stringify(input)).toMatchObject({ code: "CONFLICT", reason: "COORDINATOR_EXISTS" });
    }
    expect(await stack.eventCount(tenant)).toBe(before);
  });

  it("a family's id as a coordinator's: CONFLICT ID_IN_USE; setCaseloadLimit on an unknown or a family's id: NOT_FOUND", async () => {
    const familyId = await enroll();
    const before = await stack.eventCount(tenant);
    const taken = await stack.gql(M.registerCoordinator, { input: { coordinatorId: familyId, name: "Family Named", caseloadLimit: 3 } }, { token: admin });
    expect(firstError(taken).extensions).toMatchObject({ code: "CONFLICT", reason: "ID_IN_USE" });
    for (const coordinatorId of [randomUUID(), familyId]) {
      const result = await stack.gql(M.setCaseloadLimit, { input: { coordinatorId, caseloadLimit: 3 } }, { token: admin });
      expect(firstError(result).extensions?.code).toBe("NOT_FOUND");
    }
    expect(await stack.eventCount(tenant)).toBe(before);
    // Its own id elsewhere: a coordinator's name is free in another tenant, and so is the id.
    expect(await register({ coordinatorId: kimId, name: "Kim Lee", caseloadLimit: 9 }, otherAdmin)).toMatchObject({ streamId: kimId, version: 1 });
  });

  it("setCaseloadLimit: the next version of the coordinator's stream", async () => {
    const receipt = ok(await stack.gql<{ setCaseloadLimit: Receipt }>(M.setCaseloadLimit, { input: { coordinatorId: kimId, caseloadLimit: 3 } }, { token: admin })).setCaseloadLimit;
    expect(receipt).toMatchObject({ streamId: kimId, version: 2, events: ["CaseloadLimitSet"] });
    model.coordinators.get(kimId)!.caseloadLimit = 3;
  });
});

describe("caseloads follow the families", () => {
  it("coordinators by name, caseload 0 before any assignment", async () => {
    await shows(model.expected());
    expect((await list()).map((c) => [c.name, c.caseload])).toEqual([
      ["Ann Park", 0],
      ["Kim Lee", 0],
      ["Zed Obi", 0],
    ]);
  });

  it("assignments count enrolled families per name; over the limit is overLimit", async () => {
    for (let i = 0; i < 5; i++) families.push(await enroll());
    for (const familyId of families.slice(0, 4)) await assign(familyId, "Kim Lee");
    await assign(families[4]!, "Ann Park");
    // A name no coordinator has is counted for nobody listed.
    await assign(await enroll(), "Nobody Registered");
    const expected = model.expected();
    expect(expected.find((c) => c.name === "Kim Lee")).toMatchObject({ caseload: 4, caseloadLimit: 3, overLimit: true });
    await shows(expected);
  });

  it("a withdrawal and a reassignment move the counts; a higher limit clears overLimit", async () => {
    await withdraw(families[0]!);
    await assign(families[1]!, "Ann Park");
    const expected = model.expected();
    expect(expected.find((c) => c.name === "Kim Lee")).toMatchObject({ caseload: 2, overLimit: false });
    expect(expected.find((c) => c.name === "Ann Park")).toMatchObject({ caseload: 2, caseloadLimit: 1, overLimit: true });
    await shows(expected);

    const annId = [...model.coordinators.values()].find((c) => c.name === "Ann Park")!.id;
    ok(await stack.gql(M.setCaseloadLimit, { input: { coordinatorId: annId, caseloadLimit: 2 } }, { token: admin }));
    model.coordinators.get(annId)!.caseloadLimit = 2;
    await shows(model.expected());
    expect((await list()).find((c) => c.name === "Ann Park")).toMatchObject({ caseload: 2, overLimit: false });
  });
});

describe("roles and tenants", () => {
  it("coordinators read the list; finance may not; only admin registers or sets limits", async () => {
    expect(await list(coordinator)).toEqual(await list(admin));
    const read = await stack.gql(Q.coordinators, undefined, { token: finance });
    expect(firstError(read).extensions?.code).toBe("FORBIDDEN");
    const before = await stack.eventCount(tenant);
    for (const token of [coordinator, finance]) {
      const registered = await stack.gql(M.registerCoordinator, { input: { name: "Not Allowed", caseloadLimit: 1 } }, { token });
      expect(registered.status).toBe(403);
      expect(firstError(registered).extensions?.code).toBe("FORBIDDEN");
      const limited = await stack.gql(M.setCaseloadLimit, { input: { coordinatorId: kimId, caseloadLimit: 1 } }, { token });
      expect(firstError(limited).extensions?.code).toBe("FORBIDDEN");
    }
    expect(await stack.eventCount(tenant)).toBe(before);
  });

  it("another tenant sees only its own coordinators", async () => {
    await waitUntil(async () => (await list(otherAdmin)).length === 1, { what: "the other tenant's coordinator" });
    expect(await list(otherAdmin)).toEqual([{ id: kimId, name: "Kim Lee", caseloadLimit: 9, caseload: 0, overLimit: false }]);
  });
});
