// Family.comments and Family.commentCount for every family of one request in one query each:
// a search answering 500 families reads their comments in one round trip, not 500. The loaders
// live as long as their request (keyed by its context object) and serve its tenant only.
import DataLoader from "dataloader";
import type { GatewayContext } from "../context";
import { viewerOf } from "../graphql/arguments";
import { CommentQueries } from "./comment.queries";
import type { Comment } from "./comment.types";

/** How many comments Family.comments lists (newest first); familyComments reads further. */
export const FAMILY_COMMENTS_MAX = 100;

/** Families per query: a request may name thousands through aliases. */
const BATCH_MAX = 1_000;

export interface FamilyCommentLoaders {
  newest: DataLoader<string, Comment[]>;
  count: DataLoader<string, number>;
}

const byRequest = new WeakMap<GatewayContext, FamilyCommentLoaders>();

export function familyCommentLoaders(ctx: GatewayContext): FamilyCommentLoaders {
  let loaders = byRequest.get(ctx);
  if (!loaders) {
    const viewer = viewerOf(ctx);
    const queries = ctx.services.read(CommentQueries);
    loaders = {
      newest: new DataLoader(
        async (ids) => {
          const found = await queries.newestOfFamilies(viewer, ids, FAMILY_COMMENTS_MAX);
          return ids.map((id) => found.get(id) ?? []);
        },
        { maxBatchSize: BATCH_MAX },
      ),
      count: new DataLoader(
        async (ids) => {
          const found = await queries.countsOfFamilies(viewer, ids);
          return ids.map((id) => found.get(id) ?? 0);
        },
        { maxBatchSize: BATCH_MAX },
      ),
    };
    byRequest.set(ctx, loaders);
  }
  return loaders;
}
