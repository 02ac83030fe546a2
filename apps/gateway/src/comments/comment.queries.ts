// Read-model queries of the comments feature (table family_comments, projection family-comments),
// newest first by (added_at, comment_id), the order of family_comments_newest_idx.
import type { PrismaClient } from "@coop/database";
import type { ReadDeps } from "../context";
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

export class CommentQueries {
  private readonly prisma: PrismaClient;

  constructor({ prisma }: ReadDeps) {
    this.prisma = prisma;
  }

  /** A family's newest comments; [] for a family without comments, unknown, or another tenant's. */
  ofFamily(tenantId: string, familyId: string, limit: number): Promise<Comment[]> {
    return this.prisma.$queryRawUnsafe<Comment[]>(COMMENTS_OF_FAMILY_SQL, tenantId, familyId, limit);
  }

  /** The newest `perFamily` comments of each family (lower-case UUIDs), by family id. */
  async newestOfFamilies(tenantId: string, familyIds: readonly string[], perFamily: number): Promise<Map<string, Comment[]>> {
    const rows = await this.prisma.$queryRawUnsafe<(Comment & { familyId: string })[]>(NEWEST_OF_FAMILIES_SQL, tenantId, familyIds, perFamily);
    const byFamily = new Map<string, Comment[]>();
    for (const { familyId, ...comment } of rows) {
      const list = byFamily.get(familyId);
      if (list) list.push(comment);
      else byFamily.set(familyId, [comment]);
    }
    return byFamily;
  }

  /** How many comments each family (lower-case UUIDs) has, by family id; absent means none. */
  async countsOfFamilies(tenantId: string, familyIds: readonly string[]): Promise<Map<string, number>> {
    const rows = await this.prisma.$queryRawUnsafe<{ familyId: string; count: number }[]>(COUNTS_SQL, tenantId, familyIds);
    return new Map(rows.map((r) => [r.familyId, r.count]));
  }
}
