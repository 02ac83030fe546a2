import { describe, expect, it } from "vitest";
import type { LaneRow, ProjectionRow, PublisherState } from "./positions";
import { decodeProgress, decodeStreamChanges, encodeProgress, encodeStreamChanges, ProgressBoard, streamChangesOf } from "./progress";

const at = (transactionId: number, position: number) => ({ transactionId: String(transactionId), position: String(position) });

function projection(name: string, lanes = 2, status: ProjectionRow["status"] = "RUNNING", version = 1): ProjectionRow {
  return { name, version, lanes, status, lastError: null, errorSince: null, updatedAt: new Date(0) };
}
function lane(projection: string, n: number, checkpoint: ReturnType<typeof at>): LaneRow {
  return { projection, lane: n, checkpoint, eventsProcessed: "0", parkedStreams: 0, lastAppliedAt: null, updatedAt: new Date(0) };
}
function publisher(checkpoint: ReturnType<typeof at>, handed: Record<string, ReturnType<typeof at>>): PublisherState {
  return { checkpoint, published: new Map(Object.entries(handed)) };
}

describe("progress announcements", () => {
  it("round-trip through their text, and anything malformed decodes to null", () => {
    const laneProgress = { kind: "lane", projection: "family-detail", version: 3, lanes: 4, lane: 2, checkpoint: at(900, 17) } as const;
    expect(decodeProgress(encodeProgress(laneProgress))).toEqual(laneProgress);
    const state = publisher(at(901, 20), { "family-detail/2": at(900, 17) });
    expect(decodeProgress(encodeProgress({ kind: "publisher", state }))).toEqual({ kind: "publisher", state });
    for (const bad of ["", "{", "[]", '{"k":"lane","p":"x","v":1,"n":1,"l":0,"c":"1-2"}', '{"k":"lane","p":"x","v":"1","n":1,"l":0,"c":"1/2"}', '{"k":"publisher","c":"1/2","h":{"x/0":"nope"}}', '{"k":"other","c":"1/2"}']) {
      expect(decodeProgress(bad), bad).toBeNull();
    }
  });

  it("stream changes group a commit's events per stream, and round-trip", () => {
    const changes = streamChangesOf([
      { tenantId: "t", streamId: "a", streamVersion: 4, position: "10", type: "PaymentRecorded" },
      { tenantId: "t", streamId: "b", streamVersion: 1, position: "11", type: "FamilyEnrolled" },
      { tenantId: "t", streamId: "a", streamVersion: 5, position: "12", type: "RiskAssessed" },
      { tenantId: "u", streamId: "a", streamVersion: 9, position: "13", type: "FamilyWithdrawn" },
    ]);
    expect(changes).toEqual([
      { tenantId: "t", streamId: "a", version: 5, position: "12", events: ["PaymentRecorded", "RiskAssessed"] },
      { tenantId: "t", streamId: "b", version: 1, position: "11", events: ["FamilyEnrolled"] },
      { tenantId: "u", streamId: "a", version: 9, position: "13", events: ["FamilyWithdrawn"] },
    ]);
    expect(decodeStreamChanges(encodeStreamChanges(changes))).toEqual(changes);
    expect(decodeStreamChanges('[["t","a",1,"12",["X"]],["t","b","2","3",[]],"junk",["t","c",1,"x",[]]]')).toEqual([
      { tenantId: "t", streamId: "a", version: 1, position: "12", events: ["X"] },
    ]);
  });
});

describe("ProgressBoard", () => {
  it("counts a projection as far as its slowest lane, and an idle lane as far as the publisher", () => {
    const board = new ProgressBoard();
    board.refresh([projection("p")], [lane("p", 0, at(10, 5)), lane("p", 1, at(10, 6))], publisher(at(12, 9), { "p/0": at(10, 5), "p/1": at(11, 8) }));
    // Lane 1 was handed (11, 8) and is at (10, 6): the projection is at (10, 6).
    expect(board.checkpointOf("p")).toEqual(at(10, 6));
    expect(board.includes(["p"], at(10, 6))).toBe(true);
    expect(board.includes(["p"], at(11, 8))).toBe(false);
    // Lane 1 commits what it was handed: both lanes are idle, so the projection is at the publisher's.
    expect(board.apply({ kind: "lane", projection: "p", version: 1, lanes: 2, lane: 1, checkpoint: at(11, 8) })).toBe(true);
    expect(board.checkpointOf("p")).toEqual(at(12, 9));
    // A late (older) announcement moves nothing back.
    board.apply({ kind: "lane", projection: "p", version: 1, lanes: 2, lane: 1, checkpoint: at(10, 7) });
    expect(board.checkpointOf("p")).toEqual(at(12, 9));
  });

  it("takes the publisher's row whole, and only a newer one", () => {
    const board = new ProgressBoard();
    board.refresh([projection("p", 1)], [lane("p", 0, at(10, 5))], publisher(at(10, 5), { "p/0": at(10, 5) }));
    // The publisher handed lane 0 a new event at (13, 7): until the lane applies it, the projection stays.
    board.apply({ kind: "publisher", state: publisher(at(14, 8), { "p/0": at(13, 7) }) });
    expect(board.checkpointOf("p")).toEqual(at(10, 5));
    // An older row (lost race) is ignored, even though it would make the lane look idle.
    board.apply({ kind: "publisher", state: publisher(at(12, 6), { "p/0": at(10, 5) }) });
    expect(board.checkpointOf("p")).toEqual(at(10, 5));
    board.apply({ kind: "lane", projection: "p", version: 1, lanes: 1, lane: 0, checkpoint: at(13, 7) });
    expect(board.checkpointOf("p")).toEqual(at(14, 8));
  });

  it("refuses announcements of a layout it does not know (a rebuild changed lanes or version)", () => {
    const board = new ProgressBoard();
    board.refresh([projection("p", 2, "RUNNING", 1)], [lane("p", 0, at(1, 1)), lane("p", 1, at(1, 1))], publisher(at(1, 1), {}));
    expect(board.apply({ kind: "lane", projection: "p", version: 2, lanes: 2, lane: 0, checkpoint: at(5, 5) })).toBe(false);
    expect(board.apply({ kind: "lane", projection: "p", version: 1, lanes: 4, lane: 3, checkpoint: at(5, 5) })).toBe(false);
    expect(board.apply({ kind: "lane", projection: "q", version: 1, lanes: 1, lane: 0, checkpoint: at(5, 5) })).toBe(false);
    expect(board.checkpointOf("p")).toEqual(at(1, 1));
    expect(board.checkpointOf("q")).toBeNull();
    // Rows of a layout caught mid-change (fewer lane rows than lanes) count as nothing applied.
    board.refresh([projection("p", 4)], [lane("p", 0, at(9, 9))], publisher(at(9, 9), {}));
    expect(board.includes(["p"], at(1, 1))).toBe(false);
  });

  it("names the projections that are not applying events", () => {
    const board = new ProgressBoard();
    board.refresh([projection("a", 1, "ERROR"), projection("b", 1, "REBUILDING"), projection("c", 1, "STOPPED")], [], publisher(at(0, 0), {}));
    expect(board.stopped(["a", "b", "c", "unknown"])).toEqual(["a", "c"]);
  });
});
