import "reflect-metadata";
import { Field, ID, Int, ObjectType } from "type-graphql";

/** What every mutation answers (CONTRACT section 3): one command's effect on its stream. */
@ObjectType("CommandReceipt", { description: "What a command appended." })
export class CommandReceipt {
  @Field(() => ID, { nullable: false })
  commandId!: string;

  @Field(() => ID, { nullable: false, description: "The stream's id: the family's, or the coordinator's." })
  streamId!: string;

  @Field(() => Int, { nullable: false, description: "Stream version after the command (a stream's first event is version 1)." })
  version!: number;

  @Field(() => String, { nullable: false, description: "Global position of the last event appended (a 64-bit integer as text)." })
  position!: string;

  @Field(() => [String], { nullable: false, description: "Event types appended, in order." })
  events!: string[];
}
