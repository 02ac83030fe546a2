// The hub's rules with the announcements given by hand (the feed's listener) and rows from a
// table in memory: order per subscription, batching per scope, tenants apart.
import { setImmediate as tick } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import type { StreamChange } from "@coop/projection-state";
import type { ChangeFeedListener } from "../consistency/change-feed";
import type { ReadScope } from "../reads/tenant-reader";
import { FamilyChangeHub, type FamilyChangeMessage } from "./family-change-hub";

interface Row {
  id: string;
  version: number;
  tenant: string;
}

const F = "6f0d2c2e-9a55-4c55-9d43-7d1c6f8b2a01";
const G = "0b9e4c7a-3f1d-4e2b-8c6a-5d4e3f2a1b0c";

function setUp() {
  let listener: ChangeFeedListener = {};
  const table = new Map<string, Row>();
  const loads: { scope: ReadScope; ids: readonly string[] }[] = [];
  const hub = new FamilyChangeHub<Row>({
    feed: { listen: (l) => ((listener = l), () => undefined) },
    load: async (scope, ids) => {
      loads.push({ scope, ids });
      return ids.map((id) => table.get(`${scope.tenantId}/${id}`)).filter((r): r is Row => r !== undefined);
    },
    onError: (error) => {
      throw error;
    },
  });
  const announce = (...changes: Partial<StreamChange>[]) =>
    listener.changes?.(
      "family-detail",
      changes.map((c) => ({ tenantId: "t1", streamId: F, version: 1, position: "1", events: ["PaymentReceived"], ...c })),
    );
  const commit = (tenant: string, id: string, version: number) => table.set(`${tenant}/${id}`, { id, version, tenant });
  const settle = async () => {
    for (let i = 0; i < 5; i++) await tick();
  };
  return { hub, announce, commit, loads, settle, reconnect: () => listener.reconnected?.() };
}

const coordinator: ReadScope = { tenantId: "t1", roles: ["coordinator"] };

describe("FamilyChangeHub", () => {
  it("familyChanged: sends the row read after the announcement, never an older version after a newer", async () => {
    const { hub, announce, commit, settle } = setUp();
    const sent: number[] = [];
    hub.watchFamily(coordinator, F, (row) => sent.push(row.version));
    commit("t1", F, 2);
    announce({ version: 2 });
    await settle();
    // The row moved on to 4 before the late announcement of 3 is read: 4 is sent, then nothing for 3.
    commit("t1", F, 4);
    announce({ version: 3 });
    await settle();
    announce({ version: 4 });
    await settle();
    expect(sent).toEqual([2, 4]);
  });

  it("reads the families of one announcement batch in one load per scope, however many watch them", async () => {
    const { hub, announce, commit, loads, settle } = setUp();
    const sent: string[] = [];
    for (let i = 0; i < 50; i++) hub.watchFamily(coordinator, i % 2 ? F : G, (row) => sent.push(row.id));
    hub.watchFamily({ tenantId: "t1", roles: ["admin"] }, F, (row) => sent.push(`admin ${row.id}`));
    commit("t1", F, 1);
    commit("t1", G, 1);
    announce({ streamId: F }, { streamId: G });
    await settle();
    expect(loads).toHaveLength(2);
    expect(loads.map((l) => [...l.ids].sort())).toEqual([[G, F].sort(), [F]]);
    expect(sent).toHaveLength(51);
  });

  it("keeps tenants apart: another tenant's change of the same id reaches no one here", async () => {
    const { hub, announce, commit, loads, settle } = setUp();
    const rows: Row[] = [];
    const activity: FamilyChangeMessage[] = [];
    hub.watchFamily(coordinator, F, (row) => rows.push(row));
    hub.watchTenant("t1", (change) => activity.push(change));
    commit("t2", F, 1);
    announce({ tenantId: "t2" });
    await settle();
    expect(loads).toEqual([]);
    expect(rows).toEqual([]);
    expect(activity).toEqual([]);
  });

  it("tenantActivity: each announcement once, later older ones dropped", async () => {
    const { hub, announce, settle } = setUp();
    const activity: number[] = [];
    hub.watchTenant("t1", (change) => activity.push(change.version));
    announce({ version: 1 });
    announce({ version: 3 });
    announce({ version: 2 });
    announce({ version: 3 });
    announce({ version: 4 });
    await settle();
    expect(activity).toEqual([1, 3, 4]);
  });

  it("after a reconnection, re-reads every watched family and sends those that moved on", async () => {
    const { hub, announce, commit, settle, reconnect } = setUp();
    const sent: number[] = [];
    hub.watchFamily(coordinator, F, (row) => sent.push(row.version));
    commit("t1", F, 1);
    announce({ version: 1 });
    await settle();
    commit("t1", F, 5); // announced while the feed was away
    reconnect();
    await settle();
    reconnect(); // nothing new: nothing sent
    await settle();
    expect(sent).toEqual([1, 5]);
  });

  it("a watch ended is forgotten", async () => {
    const { hub, announce, commit, loads, settle } = setUp();
    const stop = hub.watchFamily(coordinator, F, () => undefined);
    expect(hub.counts.familyChanged).toBe(1);
    stop();
    expect(hub.counts.familyChanged).toBe(0);
    commit("t1", F, 1);
    announce({ version: 1 });
    await settle();
    expect(loads).toEqual([]);
  });

  it("loads answering out of order: the older row, come last, is not sent", async () => {
    let listener: ChangeFeedListener = {};
    const answers: ((rows: Row[]) => void)[] = [];
    const hub = new FamilyChangeHub<Row>({
      feed: { listen: (l) => ((listener = l), () => undefined) },
      load: () => new Promise((resolve) => answers.push(resolve)),
      onError: () => undefined,
    });
    const sent: number[] = [];
    hub.watchFamily(coordinator, F, (row) => sent.push(row.version));
    const announce = (version: number) => listener.changes?.("family-detail", [{ tenantId: "t1", streamId: F, version, position: String(version), events: ["PaymentReceived"] }]);
    announce(1);
    await tick();
    announce(2);
    await tick();
    expect(answers).toHaveLength(2); // the second change did not wait for the first load
    answers[1]!([{ id: F, version: 2, tenant: "t1" }]);
    await tick();
    answers[0]!([{ id: F, version: 1, tenant: "t1" }]);
    await tick();
    expect(sent).toEqual([2]);
  });
});
