import "reflect-metadata";
import { Field, Int, ObjectType, registerEnumType } from "type-graphql";
import { DateTimeScalar } from "../graphql/scalars";

export const ProjectionState = { RUNNING: "RUNNING", REBUILDING: "REBUILDING", STOPPED: "STOPPED", ERROR: "ERROR" } as const;
export type ProjectionState = keyof typeof ProjectionState;
registerEnumType(ProjectionState, { name: "ProjectionState" });

@ObjectType("ProjectionStatus", { description: "A projection's checkpoint, how far behind it is, and its state." })
export class ProjectionStatus {
  @Field(() => String, { nullable: false })
  name!: string;

  @Field(() => String, { nullable: false, description: "The checkpoint: the global position of the last event applied." })
  position!: string;

  @Field(() => String, { nullable: false, description: "The highest position appended to the event store." })
  headPosition!: string;

  @Field(() => Int, { nullable: false, description: "Events after the checkpoint." })
  lag!: number;

  @Field(() => ProjectionState, { nullable: false })
  status!: ProjectionState;

  @Field(() => String, { nullable: true })
  lastError!: string | null;

  @Field(() => Int, { nullable: false })
  eventsProcessed!: number;

  @Field(() => DateTimeScalar, { nullable: false })
  updatedAt!: Date;
}
