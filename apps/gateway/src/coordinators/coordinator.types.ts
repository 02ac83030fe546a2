// GraphQL types of the coordinators feature (CONTRACT section 11).
import "reflect-metadata";
import { Field, ID, InputType, Int, ObjectType } from "type-graphql";

@ObjectType("Coordinator", { description: "A coordinator of the tenant and the families assigned to them." })
export class Coordinator {
  @Field(() => ID, { nullable: false })
  id!: string;

  @Field(() => String, { nullable: false, description: "Unique in the tenant; families name their coordinator by it." })
  name!: string;

  @Field(() => Int, { nullable: false })
  caseloadLimit!: number;

  @Field(() => Int, { nullable: false, description: "Enrolled families whose assignedCoordinator is this name." })
  caseload!: number;

  @Field(() => Boolean, { nullable: false, description: "caseload > caseloadLimit" })
  overLimit!: boolean;
}

@InputType("RegisterCoordinatorInput")
export class RegisterCoordinatorInput {
  @Field(() => ID, { nullable: true, description: "A UUID; generated from the command id when omitted." })
  coordinatorId?: string | null;

  @Field(() => String, { nullable: false, description: "Trimmed, then 1 to 100 characters; unique in the tenant." })
  name!: string;

  @Field(() => Int, { nullable: false, description: "1 to 500." })
  caseloadLimit!: number;

  @Field(() => ID, { nullable: true, description: "Idempotency key (a UUID)." })
  commandId?: string | null;
}

@InputType("SetCaseloadLimitInput")
export class SetCaseloadLimitInput {
  @Field(() => ID, { nullable: false })
  coordinatorId!: string;

  @Field(() => Int, { nullable: false, description: "1 to 500." })
  caseloadLimit!: number;

  @Field(() => ID, { nullable: true })
  commandId?: string | null;
}
