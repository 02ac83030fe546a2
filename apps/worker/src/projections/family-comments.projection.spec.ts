import { describe, expect, it } from "vitest";
import { recorded } from "../test-kit/events";
import { commentRow } from "./family-comments.projection";

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
