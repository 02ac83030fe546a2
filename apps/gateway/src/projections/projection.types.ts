import "reflect-metadata";
import { ArgsType, Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { DateTimeScalar } from "../graphql/scalars";

export const ProjectionState = { RUNNING: "RUNNING", REBUILDING: "REBUILDING", STOPPED: "STOPPED", ERROR: "ERROR" } as const;
export type ProjectionState = keyof typeof ProjectionState;
registerEnumType(ProjectionState, { name: "ProjectionState" });

@ObjectType("ProjectionStatus", { description: "A projection's position, how far behind it is, and its state." })
export class ProjectionStatus {
  @Field(() => String, { nullable: false })
  name!: string;

  @Field(() => String, { nullable: false, description: "Its position: the global position up to which every event is applied (the least of its lanes')." })
  position!: string;

  @Field(() => String, { nullable: false, description: "The highest position appended to the event store." })
  headPosition!: string;

  @Field(() => Int, { nullable: false, description: "Events after its position (positions of the event store: an upper bound)." })
  lag!: number;

  @Field(() => ProjectionState, { nullable: false })
  status!: ProjectionState;

  @Field(() => String, { nullable: true })
  lastError!: string | null;

  @Field(() => Int, { nullable: false })
  eventsProcessed!: number;

  @Field(() => DateTimeScalar, { nullable: false })
  updatedAt!: Date;

  @Field(() => Int, { nullable: false, description: "Lanes it runs in: streams spread over them, each applied in order." })
  lanes!: number;

  @Field(() => Int, { nullable: false, description: "Streams parked by a failing event (see deadLetters)." })
  parkedStreams!: number;
}

@ObjectType("DeadLetter", { description: "A stream parked in a projection: the event that failed, why, and what waits behind it." })
export class DeadLetter {
  @Field(() => String, { nullable: false })
  projection!: string;

  @Field(() => Int, { nullable: false })
  lane!: number;

  @Field(() => ID, { nullable: false, description: "The parked stream (a family's or a coordinator's id)." })
  streamId!: string;

  @Field(() => String, { nullable: false, description: "Global position of the event that failed." })
  position!: string;

  @Field(() => Int, { nullable: false, description: "Its version in the stream." })
  version!: number;

  @Field(() => String, { nullable: false, description: "Its event type." })
  type!: string;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field(() => Int, { nullable: false })
  attempts!: number;

  @Field(() => Int, { nullable: false, description: "Later events of the stream waiting behind it." })
  waiting!: number;

  @Field(() => DateTimeScalar, { nullable: false })
  firstFailedAt!: Date;

  @Field(() => DateTimeScalar, { nullable: false })
  lastFailedAt!: Date;
}

@ArgsType()
export class DeadLettersArgs {
  @Field(() => String, { nullable: true, description: "One projection's, or all." })
  projection?: string | null;
}
