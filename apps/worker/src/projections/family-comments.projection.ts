import type { FamilyEventOf } from "@coop/domain";
import type { RecordedEvent } from "@coop/event-store";
import { describeEvent } from "./fold";
import { upsertRows, type Column } from "./sql";
import { ANY_ROLE, tableName, type ProjectionDefinition } from "./types";

/** One family_comments row, in memory. */
export interface CommentRow {
  tenantId: string;
  familyId: string;
  commentId: string;
  body: string;
  author: string;
  addedAt: Date;
}

/** Pure: the row a CommentAdded makes; any other type is an error. */
export function commentRow(event: RecordedEvent): CommentRow {
  if (event.type !== "CommentAdded") throw new Error(`family-comments: no reducer for event type ${event.type} (${describeEvent(event)})`);
  const data = event.data as FamilyEventOf<"CommentAdded">["data"];
  return { tenantId: event.tenantId, familyId: event.streamId, commentId: data.commentId, body: data.body, author: data.author, addedAt: event.recordedAt };
}

const COLUMNS: Column[] = [
  { name: "tenant_id", type: "text" },
  { name: "family_id", type: "uuid" },
  { name: "comment_id", type: "uuid" },
  { name: "body", type: "text" },
  { name: "author", type: "text" },
  { name: "added_at", type: "timestamptz" },
];

export const familyCommentsProjection: ProjectionDefinition = {
  name: "family-comments",
  version: 1,
  handles: ["CommentAdded"],
  tables: [{ name: "family_comments", readers: ANY_ROLE }],
  async apply(client, events, tables) {
    if (events.length === 0) return;
    const rows = events.map(commentRow).map((r) => [r.tenantId, r.familyId, r.commentId, r.body, r.author, r.addedAt.toISOString()]);
    // A comment is written once; its id is unique per family (a resent command names the same one).
    await upsertRows(client, tableName(tables, "family_comments"), COLUMNS, rows, ["tenant_id", "family_id", "comment_id"], {});
  },
};
