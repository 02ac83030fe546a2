// GraphQL types of the comments feature (CONTRACT section 11).
import "reflect-metadata";
import { ArgsType, Field, ID, InputType, Int, ObjectType } from "type-graphql";
import { DateTimeScalar } from "../graphql/scalars";

@ObjectType("Comment", { description: "A note on a family; its body is personal data." })
export class Comment {
  @Field(() => ID, { nullable: false, description: "Stable when the command that added it is resent." })
  id!: string;

  @Field(() => String, { nullable: false })
  body!: string;

  @Field(() => String, { nullable: false, description: "The subject (sub) of the token that added it." })
  author!: string;

  @Field(() => DateTimeScalar, { nullable: false })
  addedAt!: Date;
}

@InputType("AddCommentInput")
export class AddCommentInput {
  @Field(() => ID, { nullable: false })
  familyId!: string;

  @Field(() => String, { nullable: false, description: "Trimmed, then 1 to 2,000 characters." })
  body!: string;

  @Field(() => ID, { nullable: true, description: "Idempotency key (a UUID); the comment's id is derived from it." })
  commandId?: string | null;
}

@ArgsType()
export class FamilyCommentsArgs {
  @Field(() => ID, { nullable: false })
  familyId!: string;

  @Field(() => Int, { nullable: true, defaultValue: 50, description: "1 to 500." })
  limit?: number | null;
}
