// The coordinators feature's root fields: two commands on a coordinator's stream, and the list.
import { Arg, Ctx, Mutation, Query, Resolver } from "type-graphql";
import { streamIdFor } from "@coop/command-bus";
import type { GatewayContext } from "../context";
import { viewerOf } from "../graphql/arguments";
import { CommandReceipt } from "../graphql/command-receipt";
import { commandIdOf, dispatch } from "../graphql/dispatch";
import { CoordinatorQueries } from "./coordinator.queries";
import { Coordinator, RegisterCoordinatorInput, SetCaseloadLimitInput } from "./coordinator.types";

@Resolver()
export class CoordinatorResolver {
  @Mutation(() => CommandReceipt, { nullable: false, description: "Registers a coordinator; the receipt's streamId is the coordinator's id (admin)." })
  registerCoordinator(@Arg("input", () => RegisterCoordinatorInput, { nullable: false }) input: RegisterCoordinatorInput, @Ctx() ctx: GatewayContext) {
    const identity = commandIdOf(input);
    // Omitted id: derived from the command id, as enrollFamily's, so a resent command names the same coordinator.
    const coordinatorId = input.coordinatorId ?? streamIdFor(viewerOf(ctx).tenantId, identity.commandId);
    return dispatch(ctx, identity, {
      type: "RegisterCoordinator",
      payload: { coordinatorId, name: input.name, caseloadLimit: input.caseloadLimit },
    });
  }

  @Mutation(() => CommandReceipt, { nullable: false, description: "Sets a coordinator's caseload limit (admin)." })
  setCaseloadLimit(@Arg("input", () => SetCaseloadLimitInput, { nullable: false }) input: SetCaseloadLimitInput, @Ctx() ctx: GatewayContext) {
    return dispatch(ctx, commandIdOf(input), {
      type: "SetCaseloadLimit",
      payload: { coordinatorId: input.coordinatorId, caseloadLimit: input.caseloadLimit },
    });
  }

  @Query(() => [Coordinator], { nullable: false, description: "The tenant's coordinators and their caseloads, by name (coordinator, admin)." })
  coordinators(@Ctx() ctx: GatewayContext) {
    return ctx.services.read(CoordinatorQueries).list(viewerOf(ctx));
  }
}
