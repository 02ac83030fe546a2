import { describe, expect, it } from "vitest";
import { familyAggregate } from "../family.aggregate";
import { checkRequiredText, cmd, COMMENT_ID, CONTEXT, enrolled, ev, given, rejectsField, TODAY } from "../family.test-kit";

const addComment = cmd.addComment;
const asSam = { ...CONTEXT, userId: "sam" };

describe("AddComment", () => {
  it("adds a trimmed comment whose author is the sender", () => {
    given(enrolled)
      .when(addComment({ body: "  Called about the forms \n" }), asSam)
      .thenEvents([{ type: "CommentAdded", data: { commentId: COMMENT_ID, body: "Called about the forms", author: "sam" } }]);
  });

  it("like every family command: NotFound when never enrolled, FAMILY_WITHDRAWN when withdrawn", () => {
    given([]).when(addComment(), asSam).thenRejects({ type: "NotFound" });
    given([...enrolled, ev.withdrawn()]).when(addComment(), asSam).thenRejects({ type: "Refused", reason: "FAMILY_WITHDRAWN" });
  });

  it("body: 1..2,000 characters after trimming", () => {
    checkRequiredText("body", 2_000, (body) => addComment({ body }));
  });

  it("commentId must be a UUID", () => {
    rejectsField(addComment({ commentId: "c-1" }), "commentId");
  });

  it("needs the sender to name the author", () => {
    expect(() => familyAggregate.decide(addComment(), given(enrolled).state, { today: TODAY })).toThrow(/context\.userId/);
  });

  it("declares the body personal (CONTRACT sections 8 and 11)", () => {
    expect(familyAggregate.personalData("CommentAdded")).toEqual(["body"]);
  });
});
