// The comments feature: notes on a family, with their author (CONTRACT section 11).
import { ANY_ROLE, COORDINATION } from "../auth/access";
import { defineModule } from "../graphql/module";
import { CommentResolver } from "./comment.resolver";
import { FamilyCommentsResolver } from "./family-comments.resolver";

export const commentsModule = defineModule({
  name: "comments",
  resolvers: [CommentResolver, FamilyCommentsResolver],
  Query: {
    familyComments: { roles: ANY_ROLE, reads: ["family-comments"] },
  },
  Mutation: {
    addComment: { roles: COORDINATION },
  },
  fields: {
    "Family.comments": { reads: ["family-comments"] },
    "Family.commentCount": { reads: ["family-comments"] },
  },
});
