import { Args, Ctx, Query, Resolver } from "type-graphql";
import type { GatewayContext } from "../context";
import { viewerOf } from "../graphql/arguments";
import { ProjectionQueries } from "./projection.queries";
import { DeadLetter, DeadLettersArgs, ProjectionStatus } from "./projection.types";

@Resolver()
export class ProjectionResolver {
  @Query(() => [ProjectionStatus], { nullable: false, description: "Every projection: position, head, lag, state, lanes, parked streams (admin)." })
  projections(@Ctx() ctx: GatewayContext) {
    return ctx.services.read(ProjectionQueries).statuses();
  }

  @Query(() => [DeadLetter], { nullable: false, description: "Streams of the viewer's tenant parked by a failing event, oldest failure first (admin)." })
  deadLetters(@Args(() => DeadLettersArgs) { projection }: DeadLettersArgs, @Ctx() ctx: GatewayContext) {
    return ctx.services.read(ProjectionQueries).deadLetters(viewerOf(ctx).tenantId, projection ?? null);
  }
}
