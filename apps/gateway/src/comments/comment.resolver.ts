// The comments feature's root fields: addComment (one command on the family's stream) and
// familyComments (the family-comments read model).
import { Arg, Args, Ctx, Mutation, Query, Resolver } from "type-graphql";
import { streamIdFor } from "@coop/command-bus";
import type { GatewayContext } from "../context";
import { checkLimit, viewerOf } from "../graphql/arguments";
import { CommandReceipt } from "../graphql/command-receipt";
import { commandIdOf, dispatch } from "../graphql/dispatch";
import { isUuid } from "../graphql/values";
import { CommentQueries } from "./comment.queries";
import { AddCommentInput, Comment, FamilyCommentsArgs } from "./comment.types";

/**
 * The comment's id, from the command id: a resent command names the same comment. Its own
 * namespace keeps it from ever equalling a family id derived from the same command id.
 */
export function commentIdFor(tenantId: string, commandId: string): string {
  return streamIdFor(tenantId, `comment:${commandId}`);
}

@Resolver()
export class CommentResolver {
  @Mutation(() => CommandReceipt, { nullable: false, description: "Adds a comment to a family, written by the token's subject (coordinator, admin)." })
  addComment(@Arg("input", () => AddCommentInput, { nullable: false }) input: AddCommentInput, @Ctx() ctx: GatewayContext) {
    const identity = commandIdOf(input);
    return dispatch(ctx, identity, {
      type: "AddComment",
      payload: { familyId: input.familyId, commentId: commentIdFor(viewerOf(ctx).tenantId, identity.commandId), body: input.body },
    });
  }

  @Query(() => [Comment], { nullable: false, description: "A family's comments, newest first; [] for an unknown family (any role)." })
  familyComments(@Args(() => FamilyCommentsArgs) { familyId, limit }: FamilyCommentsArgs, @Ctx() ctx: GatewayContext) {
    const checked = checkLimit(limit, 50);
    if (!isUuid(familyId)) return [];
    return ctx.services.read(CommentQueries).ofFamily(viewerOf(ctx), familyId.toLowerCase(), checked);
  }
}
