import { Ctx, Query, Resolver } from "type-graphql";
import type { GatewayContext } from "../context";
import { ProjectionQueries } from "./projection.queries";
import { ProjectionStatus } from "./projection.types";

@Resolver()
export class ProjectionResolver {
  @Query(() => [ProjectionStatus], { nullable: false, description: "Every projection: checkpoint, head, lag, state (admin)." })
  projections(@Ctx() ctx: GatewayContext) {
    return ctx.services.read(ProjectionQueries).statuses();
  }
}
