import { ERASED, type FamilyEventOf } from "@coop/domain";
import type { RecordedEvent } from "@coop/event-store";
import { describeEvent, streamKey } from "./fold";
import { ident, upsertRows, type Column } from "./sql";
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

/**
 * Pure: the batch as new comment rows and the families forgotten, in order: a comment added before
 * its family's forgetting, in the same batch, is written erased at once.
 */
export function commentChanges(events: readonly RecordedEvent[]): { rows: CommentRow[]; forgotten: [tenantId: string, familyId: string][] } {
  const rows: CommentRow[] = [];
  const forgotten = new Map<string, [string, string]>();
  for (const event of events) {
    if (event.type === "FamilyForgotten") {
      const key = streamKey(event.tenantId, event.streamId);
      forgotten.set(key, [event.tenantId, event.streamId]);
      for (const row of rows) if (streamKey(row.tenantId, row.familyId) === key) row.body = ERASED;
    } else {
      rows.push(commentRow(event));
    }
  }
  return { rows, forgotten: [...forgotten.values()] };
}

export const familyCommentsProjection: ProjectionDefinition = {
  name: "family-comments",
  version: 1,
  handles: ["CommentAdded", "FamilyForgotten"],
  tables: [{ name: "family_comments", readers: ANY_ROLE }],
  async apply(client, events, tables) {
    if (events.length === 0) return;
    const table = tableName(tables, "family_comments");
    const { rows, forgotten } = commentChanges(events);
    // A comment is written once; its id is unique per family (a resent command names the same one).
    const values = rows.map((r) => [r.tenantId, r.familyId, r.commentId, r.body, r.author, r.addedAt.toISOString()]);
    await upsertRows(client, table, COLUMNS, values, ["tenant_id", "family_id", "comment_id"], {});
    // A forgotten family's comments keep their author and time, not their words (CONTRACT section 8).
    if (forgotten.length > 0) {
      await client.query(
        `UPDATE ${ident(table)} SET body = $3 WHERE (tenant_id, family_id) IN (SELECT * FROM unnest($1::text[], $2::uuid[])) AND body <> $3`,
        [forgotten.map(([t]) => t), forgotten.map(([, f]) => f), ERASED],
      );
    }
  },
};
