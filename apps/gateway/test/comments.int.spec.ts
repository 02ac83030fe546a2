// Comments (CONTRACT section 11) over real HTTP with a real worker child process projecting
// family-comments: newest first, the author from the token, a stable id on resend, the family's
// rules, roles, tenants, and Family.comments / commentCount read in one query per request.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CommentQueries } from "../src/comments/comment.queries";
import { todayUtc } from "./support/dates";
import { M, Q, validInput } from "./support/operations";
import { firstError, ok, type Receipt } from "./support/results";
import { startStack, type Stack } from "./support/stack";
import { waitUntil } from "./support/wait";

let stack: Stack;
const tenant = `t-comments-${randomUUID().slice(0, 8)}`;
const otherTenant = `t-comments-other-${randomUUID().slice(0, 8)}`;
const today = todayUtc();
let coordinator: string;
let admin: string;
let finance: string;
let otherAdmin: string;

interface CommentData {
  id: string;
  body: string;
  author: string;
  addedAt: string;
}

beforeAll(async () => {
  stack = await startStack("coop_test_gw_comments", { worker: true });
  coordinator = await stack.token(tenant, ["coordinator"], "coordinator-ann");
  admin = await stack.token(tenant, ["admin"], "admin-ada");
  finance = await stack.token(tenant, ["finance"], "finance-fred");
  otherAdmin = await stack.token(otherTenant, ["admin"], "admin-other");
});

afterAll(async () => {
  await stack?.stop();
});

async function enroll(name: string, token = coordinator): Promise<string> {
  const familyId = randomUUID();
  ok(await stack.gql(M.enrollFamily, { input: { ...validInput("enrollFamily", familyId, today), familyName: name } }, { token }));
  return familyId;
}

async function comment(familyId: string, body: string, token = coordinator, commandId?: string): Promise<Receipt> {
  return ok(await stack.gql<{ addComment: Receipt }>(M.addComment, { input: { familyId, body, commandId } }, { token })).addComment;
}

async function comments(familyId: string, token = admin, limit?: number): Promise<CommentData[]> {
  return ok(await stack.gql<{ familyComments: CommentData[] }>(Q.familyComments, { familyId, limit }, { token })).familyComments;
}

/** The CommentAdded events of a family's stream, as familyHistory shows them: what the read model must show. */
async function commentEvents(familyId: string) {
  const history = ok(
    await stack.gql<{ familyHistory: { type: string; version: number; recordedAt: string; data: { commentId: string; body: string; author: string } }[] }>(
      Q.familyHistory,
      { id: familyId },
      { token: admin },
    ),
  ).familyHistory;
  return history.filter((e) => e.type === "CommentAdded");
}

describe("adding and reading comments", () => {
  let familyId: string;
  let first: Receipt;
  const commandId = randomUUID();

  beforeAll(async () => {
    familyId = await enroll("Comment Family");
  });

  it("addComment appends CommentAdded to the family's stream; the author is the token's subject", async () => {
    first = await comment(familyId, "  Called about the forms  ", coordinator, commandId);
    expect(first).toEqual({ commandId, streamId: familyId, version: 2, position: expect.stringMatching(/^\d+$/), events: ["CommentAdded"] });
    expect(await comment(familyId, "Left a voicemail", admin)).toMatchObject({ streamId: familyId, version: 3, events: ["CommentAdded"] });
    expect(await comment(familyId, "Visited at home; all well 👍", coordinator)).toMatchObject({ version: 4 });
  });

  it("familyComments: newest first, bodies trimmed, authors, ids and times as the events say", async () => {
    const events = await commentEvents(familyId);
    expect(events.map((e) => e.data.author)).toEqual(["coordinator-ann", "admin-ada", "coordinator-ann"]);
    // Newest first: the events in reverse.
    const expected = [...events].reverse().map((e) => ({ id: e.data.commentId, body: e.data.body, author: e.data.author, addedAt: e.recordedAt }));
    expect(expected.map((c) => c.body)).toEqual(["Visited at home; all well 👍", "Left a voicemail", "Called about the forms"]);
    expect(new Set(expected.map((c) => c.id)).size).toBe(3);
    const read = await waitUntil(async () => {
      const list = await comments(familyId);
      return list.length === 3 ? list : null;
    }, { what: "three comments in the read model" });
    expect(read).toEqual(expected);
    expect(await comments(familyId, admin, 2)).toEqual(expected.slice(0, 2));
    expect(await comments(familyId, admin, 1)).toEqual(expected.slice(0, 1));
  });

  it("Family.comments (newest first) and Family.commentCount; every role reads them", async () => {
    const expected = await comments(familyId);
    const read = async (token: string) =>
      ok(await stack.gql<{ family: { id: string; version: number; commentCount: number; comments: CommentData[] } | null }>(Q.familyWithComments, { id: familyId }, { token })).family;
    // family-detail and family-comments are projected independently: wait for the first to catch up.
    await waitUntil(async () => (await read(admin))?.version === 4, { what: "the family at version 4" });
    for (const token of [admin, coordinator, finance]) {
      expect(await read(token)).toEqual({ id: familyId, version: 4, commentCount: 3, comments: expected });
      expect(await comments(familyId, token)).toEqual(expected);
    }
  });

  it("a resent addComment with the same command id names the same comment: the first receipt, nothing appended", async () => {
    const before = await stack.eventCount(tenant);
    const again = await comment(familyId, "  Called about the forms  ", coordinator, commandId.toUpperCase());
    expect(again).toEqual(first);
    expect(await stack.eventCount(tenant)).toBe(before);
    // The comment the first command added is still the only one with that text.
    const events = await commentEvents(familyId);
    expect(events.filter((e) => e.data.body === "Called about the forms")).toHaveLength(1);
    expect((await comments(familyId)).filter((c) => c.body === "Called about the forms").map((c) => c.id)).toEqual([events[0]!.data.commentId]);
    // Other input under that command id: COMMAND_ID_REUSED.
    const other = await stack.gql(M.addComment, { input: { familyId, body: "Something else", commandId } }, { token: coordinator });
    expect(firstError(other).extensions).toMatchObject({ code: "CONFLICT", reason: "COMMAND_ID_REUSED" });
    expect(await stack.eventCount(tenant)).toBe(before);
  });

  it("the same command id in another tenant names another comment", async () => {
    const theirs = await enroll("Their Family", otherAdmin);
    const receipt = await comment(theirs, "Called about the forms", otherAdmin, commandId);
    expect(receipt).toMatchObject({ commandId, streamId: theirs, version: 2 });
    const [event] = await (async () => {
      const history = ok(await stack.gql<{ familyHistory: { type: string; data: { commentId: string } }[] }>(Q.familyHistory, { id: theirs }, { token: otherAdmin })).familyHistory;
      return history.filter((e) => e.type === "CommentAdded");
    })();
    expect(event!.data.commentId).not.toBe((await commentEvents(familyId))[0]!.data.commentId);
  });
});

describe("the family's rules, roles and tenants", () => {
  it("a comment on a withdrawn family: CONFLICT FAMILY_WITHDRAWN; on an unknown one or a coordinator's id: NOT_FOUND; nothing appended", async () => {
    const familyId = await enroll("Withdrawn Family");
    ok(await stack.gql(M.withdrawFamily, { input: validInput("withdrawFamily", familyId, today) }, { token: coordinator }));
    const coordinatorId = randomUUID();
    ok(await stack.gql(M.registerCoordinator, { input: validInput("registerCoordinator", coordinatorId, today) }, { token: admin }));
    const before = await stack.eventCount(tenant);
    const withdrawn = await stack.gql(M.addComment, { input: { familyId, body: "Too late" } }, { token: coordinator });
    expect(firstError(withdrawn).extensions).toMatchObject({ code: "CONFLICT", reason: "FAMILY_WITHDRAWN" });
    for (const id of [randomUUID(), coordinatorId]) {
      const unknown = await stack.gql(M.addComment, { input: { familyId: id, body: "Hello?" } }, { token: coordinator });
      expect(firstError(unknown).extensions?.code).toBe("NOT_FOUND");
    }
    expect(await stack.eventCount(tenant)).toBe(before);
  });

  it("finance may read comments but not add one (FORBIDDEN, nothing appended)", async () => {
    const familyId = await enroll("Finance Family");
    const before = await stack.eventCount(tenant);
    const result = await stack.gql(M.addComment, { input: { familyId, body: "A note" } }, { token: finance });
    expect(result.status).toBe(403);
    expect(firstError(result).extensions?.code).toBe("FORBIDDEN");
    expect(await stack.eventCount(tenant)).toBe(before);
    expect(await comments(familyId, finance)).toEqual([]);
  });

  it("unknown, foreign and malformed family ids read as no comments", async () => {
    const familyId = await enroll("Private Family");
    await comment(familyId, "Private note");
    await waitUntil(async () => (await comments(familyId)).length === 1, { what: "the private note" });
    expect(await comments(randomUUID())).toEqual([]);
    expect(await comments("not-a-uuid")).toEqual([]);
    expect(await comments(familyId, otherAdmin)).toEqual([]);
    expect(ok(await stack.gql<{ family: unknown }>(Q.familyWithComments, { id: familyId }, { token: otherAdmin })).family).toBeNull();
  });
});

describe("Family.comments for many families: one query per request", () => {
  it("a search of 40 families reads every family's comments and count in one query each", async () => {
    const marker = `Batch ${randomUUID().slice(0, 6)}`;
    const families = await Promise.all(Array.from({ length: 40 }, (_, i) => enroll(`${marker} ${String(i).padStart(2, "0")}`)));
    // Family i gets i % 4 comments, sent in order.
    const bodies = new Map<string, string[]>();
    await Promise.all(
      families.map(async (familyId, i) => {
        const sent: string[] = [];
        for (let n = 0; n < i % 4; n++) {
          await comment(familyId, `note ${n} for ${i}`);
          sent.push(`note ${n} for ${i}`);
        }
        bodies.set(familyId, sent.reverse());
      }),
    );
    // Read once the read models (family-detail and family-comments) include everything sent.
    const { rows } = await stack.pool.query<{ head: string }>("SELECT max(position)::text AS head FROM events");
    const consistentWith = { "x-consistent-with": rows[0]!.head };

    // A spy on the gateway's own query object (the real queries run): how many round trips a request makes.
    const queries = stack.gateway.services.read(CommentQueries);
    const newest = vi.spyOn(queries, "newestOfFamilies");
    const counts = vi.spyOn(queries, "countsOfFamilies");
    try {
      const found = ok(
        await stack.gql<{ searchFamilies: { id: string; commentCount: number; comments: { id: string; body: string }[] }[] }>(Q.searchWithComments, { term: marker, limit: 500 }, { token: finance, headers: consistentWith }),
      ).searchFamilies;
      expect(found.map((f) => f.id)).toEqual(families);
      for (const family of found) {
        expect(family.comments.map((c) => c.body), family.id).toEqual(bodies.get(family.id));
        expect(family.commentCount).toBe(bodies.get(family.id)!.length);
      }
      expect(newest).toHaveBeenCalledTimes(1);
      expect(counts).toHaveBeenCalledTimes(1);
      expect([...newest.mock.calls[0]![1]].sort()).toEqual([...families].sort());
    } finally {
      newest.mockRestore();
      counts.mockRestore();
    }
  });
});
