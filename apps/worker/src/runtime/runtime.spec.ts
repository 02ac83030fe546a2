import { describe, expect, it } from "vitest";
import { parseFaults } from "../config";
import { enrolled, recorded } from "../test-kit/events";
import { checkJobData, fromJobEvent, toJobEvent } from "./jobs";
import { assertStreamOrder } from "./projector";
import { indexSignature } from "./rebuild";

describe("indexSignature", () => {
  it("ignores the index's and the table's names, nothing else", () => {
    const live = indexSignature("CREATE UNIQUE INDEX family_views_pkey ON public.family_views USING btree (tenant_id, family_id)");
    const shadow = indexSignature("CREATE UNIQUE INDEX family_views__rebuild_pkey ON public.family_views__rebuild USING btree (tenant_id, family_id)");
    expect(live).toBe(shadow);
    expect(indexSignature("CREATE INDEX x ON public.t USING gin (search_text gin_trgm_ops)")).not.toBe(
      indexSignature("CREATE INDEX x ON public.t USING btree (search_text)"),
    );
    expect(indexSignature('CREATE INDEX "odd ""name""" ON public."t t" USING btree (a)')).toBe("USING btree (a)");
  });
});

describe("jobs", () => {
  it("carry what a projector needs through JSON, as stored (the event store opens them)", () => {
    const event = { ...recorded(enrolled(), { version: 1, recordedAt: "2026-03-04T05:06:07.089Z" }), streamHash: 12_345, metadata: { correlationId: "c-1", userId: "not carried" } };
    const travelled = JSON.parse(JSON.stringify(toJobEvent(event)));
    expect(fromJobEvent(travelled)).toEqual({ ...event, eventId: "", metadata: { correlationId: "c-1" } });
  });

  it("refuses job data without a layout or checkpoints, naming no data", () => {
    expect(() => checkJobData({ lanes: 4, prev: { transactionId: "1", position: "2" }, events: [{ secret: "x" }] })).toThrow(/not \{lanes, prev, last, events\} \(has: lanes, prev, events\)/);
    expect(() => checkJobData({ prev: { transactionId: "1", position: "2" }, last: { transactionId: "1", position: "3" }, events: [] })).toThrow();
    expect(checkJobData({ lanes: 4, prev: { transactionId: "1", position: "2" }, last: { transactionId: "1", position: "3" }, events: [] })).toBeTruthy();
  });
});

describe("assertStreamOrder", () => {
  it("accepts increasing versions per stream, interleaved", () => {
    const a = (v: number, p: number) => recorded(enrolled(), { version: v, position: p, familyId: "a" });
    const b = (v: number, p: number) => recorded(enrolled(), { version: v, position: p, familyId: "b" });
    expect(() => assertStreamOrder("x", [a(1, 1), b(1, 2), a(2, 3), b(5, 4)])).not.toThrow();
    expect(() => assertStreamOrder("x", [a(2, 1), b(1, 2), a(2, 3)])).toThrow(/out of stream order/);
  });
});

describe("parseFaults (COOP_FAULT_INJECTION, test only)", () => {
  it("parses rules and refuses malformed ones", () => {
    expect(parseFaults(undefined)).toEqual([]);
    expect(parseFaults("payment-analytics:transactionId=tx-poison;at-risk:coordinator=x")).toEqual([
      { projection: "payment-analytics", field: "transactionId", value: "tx-poison" },
      { projection: "at-risk", field: "coordinator", value: "x" },
    ]);
    expect(() => parseFaults("nonsense")).toThrow(/expected "projection:field=value"/);
  });
});
