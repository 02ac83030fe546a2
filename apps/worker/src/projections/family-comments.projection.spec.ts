import { describe, expect, it } from "vitest";
import { recorded } from "../test-kit/events";
import { commentChanges, commentRow } from "./family-comments.projection";

describe("family-comments", () => {
  it("a CommentAdded is a row: its id, body, author and the time it was recorded", () => {
    const event = recorded({ type: "CommentAdded", data: { commentId: "c-1", body: "Hello", author: "sam" } }, { version: 3, recordedAt: "2026-03-04T05:06:07.000Z" });
    expect(commentRow(event)).toEqual({
      tenantId: "tenant-1",
      familyId: "11111111-1111-4111-8111-111111111111",
      commentId: "c-1",
      body: "Hello",
      author: "sam",
      addedAt: new Date("2026-03-04T05:06:07.000Z"),
    });
    expect(() => commentRow(recorded({ type: "ChildAdded", data: {} }, { version: 1 }))).toThrow(/no reducer/);
  });
});

describe("family-comments, when a family is forgotten", () => {
  it("erases the bodies of the family's comments, those of the same batch included, and no other family's", () => {
    const other = "22222222-2222-4222-8222-222222222222";
    const events = [
      recorded({ type: "CommentAdded", data: { commentId: "c-1", body: "Hello", author: "sam" } }, { version: 3 }),
      recorded({ type: "CommentAdded", data: { commentId: "c-2", body: "Other", author: "kim" } }, { version: 3, familyId: other }),
      recorded({ type: "FamilyForgotten", data: {} }, { version: 4 }),
    ];
    const { rows, forgotten } = commentChanges(events);
    expect(rows.map((r) => [r.commentId, r.body, r.author])).toEqual([
      ["c-1", "(erased)", "sam"],
      ["c-2", "Other", "kim"],
    ]);
    expect(forgotten).toEqual([["tenant-1", "11111111-1111-4111-8111-111111111111"]]);
  });
});
