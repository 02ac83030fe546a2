import { familyEvent } from "../family.kit";

export interface CommentAddedData {
  commentId: string;
  body: string;
  /** Who wrote it: the subject of the token that sent the command. */
  author: string;
}

export const commentAdded = familyEvent({
  type: "CommentAdded",
  schemaVersion: 1,
  personalData: ["body"],
  evolve: (state, _data: CommentAddedData) => state, // nothing decide needs
});
