// Read-model queries of the comments feature (table family_comments, projection family-comments),
// newest first by (added_at, comment_id), the order of family_comments_newest_idx.
import type { ReadDeps } from "../context";
import type { ReadScope, TenantReader } from "../reads/tenant-reader";
import type { Comment } from "./comment.types";

const COMMENTS_OF_FAMILY_SQL = `SELECT comment_id::text AS id, body, author, added_at AS "addedAt" FROM family_comments
WHERE tenant_id = $1 AND family_id = $2::uuid
ORDER BY added_at DESC, comment_id DESC
LIMIT $3`;

/** The newest $3 comments of each family of $2, in one query (one index range per family). */
const NEWEST_OF_FAMILIES_SQL = `SELECT f.family_id::text AS "familyId", c.comment_id::text AS id, c.body, c.author, c.added_at AS "addedAt"
FROM unnest($2::uuid[]) AS f(family_id)
CROSS JOIN LATERAL (
  SELECT comment_id, body, author, added_at FROM family_comments
  WHERE tenant_id = $1 AND family_id = f.family_id
  ORDER BY added_at DESC, comment_id DESC
  LIMIT $3
) AS c
ORDER BY f.family_id, c.added_at DESC, c.comment_id DESC`;

const COUNTS_SQL = `SELECT family_id::text AS "familyId", count(*)::int AS count FROM family_comments
WHERE tenant_id = $1 AND family_id = ANY($2::uuid[])
GROUP BY family_id`;

/** As the reader role, for the viewer's tenant (reads/tenant-reader.ts). */
export class CommentQueries {
  private readonly reader: TenantReader;

  constructor({ reader }: ReadDeps) {
    this.reader = reader;
  }

  /** A family's newest comments; [] for a family without comments, unknown, or another tenant's. */
  ofFamily(viewer: ReadScope, familyId: string, limit: number): Promise<Comment[]> {
    return this.reader.rows<Comment>(viewer, COMMENTS_OF_FAMILY_SQL, [viewer.tenantId, familyId, limit]);
  }

  /** The newest `perFamily` comments of each family (lower-case UUIDs), by family id. */
  async newestOfFamilies(viewer: ReadScope, familyIds: readonly string[], perFamily: number): Promise<Map<string, Comment[]>> {
    const rows = await this.reader.rows<Comment & { familyId: string }>(viewer, NEWEST_OF_FAMILIES_SQL, [viewer.tenantId, familyIds, perFamily]);
    const byFamily = new Map<string, Comment[]>();
    for (const { familyId, ...comment } of rows) {
      const list = byFamily.get(familyId);
      if (list) list.push(comment);
      else byFamily.set(familyId, [comment]);
    }
    return byFamily;
  }

  /** How many comments each family (lower-case UUIDs) has, by family id; absent means none. */
  async countsOfFamilies(viewer: ReadScope, familyIds: readonly string[]): Promise<Map<string, number>> {
    const rows = await this.reader.rows<{ familyId: string; count: number }>(viewer, COUNTS_SQL, [viewer.tenantId, familyIds]);
    return new Map(rows.map((r) => [r.familyId, r.count]));
  }
}
