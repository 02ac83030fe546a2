import { emit } from "../../shared/aggregate";
import { trimmedText, uuid } from "../../shared/validation";
import { commentAdded } from "../events/comment-added.event";
import { familyCommand, inactiveFamily } from "../family.kit";

export interface AddCommentPayload {
  familyId: string;
  /** Chosen by the sender (derived from the command id, so a resent command names the same comment). */
  commentId: string;
  body: string;
}

const BODY_MAX = 2_000;

export const addComment = familyCommand({
  type: "AddComment",
  emits: [commentAdded],
  streamId: (p: AddCommentPayload) => p.familyId,
  validate(p: AddCommentPayload) {
    const familyId = uuid("familyId", p.familyId);
    if (!familyId.ok) return familyId;
    const commentId = uuid("commentId", p.commentId);
    if (!commentId.ok) return commentId;
    const body = trimmedText("body", p.body, 1, BODY_MAX);
    if (!body.ok) return body;
    return { ok: true, value: { familyId: familyId.value, commentId: commentId.value, body: body.value } };
  },
  decide(p, state, context) {
    const inactive = inactiveFamily(state, p.familyId);
    if (inactive) return inactive;
    if (!context.userId) throw new Error("AddComment needs the sender (context.userId) as the comment's author");
    return emit(commentAdded, { commentId: p.commentId, body: p.body, author: context.userId });
  },
});
