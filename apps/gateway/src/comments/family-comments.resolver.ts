// The comments feature's fields on the families feature's Family type, resolved for all the
// families of a request at once (family-comments.loaders.ts).
import { Ctx, FieldResolver, Int, Resolver, Root } from "type-graphql";
import type { GatewayContext } from "../context";
import { Family } from "../families/family.types";
import { Comment } from "./comment.types";
import { FAMILY_COMMENTS_MAX, familyCommentLoaders } from "./family-comments.loaders";

@Resolver(() => Family)
export class FamilyCommentsResolver {
  @FieldResolver(() => [Comment], {
    nullable: false,
    description: `Newest first: the newest ${FAMILY_COMMENTS_MAX} (commentCount counts them all; familyComments lists up to 500).`,
  })
  comments(@Root() family: Family, @Ctx() ctx: GatewayContext) {
    return familyCommentLoaders(ctx).newest.load(family.id);
  }

  @FieldResolver(() => Int, { nullable: false, description: "How many comments the family has." })
  commentCount(@Root() family: Family, @Ctx() ctx: GatewayContext) {
    return familyCommentLoaders(ctx).count.load(family.id);
  }
}
