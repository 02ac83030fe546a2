// Live updates of the family feature (CONTRACT section 6), over WebSocket (src/transport/websocket.ts):
// the streams come from the gateway's FamilyChangeHub, which pushes only after the family read
// model committed, per family in version order.
import { Arg, ID, Resolver, Root, Subscription } from "type-graphql";
import type { GatewayContext } from "../context";
import { viewerOf } from "../graphql/arguments";
import type { FamilyChangeMessage } from "../subscriptions/family-change-hub";
import { Family, FamilyChange } from "./family.types";

/** tenantActivity messages a connection may leave unread before it is closed (slow consumer). */
export const TENANT_ACTIVITY_QUEUE_LIMIT = 1_000;

/** Close code for a connection that reads slower than its subscriptions produce: "try again later". */
export const SLOW_CONSUMER_CLOSE = 1013;

@Resolver()
export class FamilySubscriptionsResolver {
  @Subscription(() => Family, {
    nullable: false,
    description:
      "The family after each change to its read model (any role). Sent after the read model committed, in version order, never an older version after a newer; a client that reconnects refetches. Nothing for an unknown or another tenant's id.",
    subscribe: ({ args, context }) => {
      const ctx = context as GatewayContext;
      return ctx.services.live.familyStream(viewerOf(ctx), String((args as { id: string }).id));
    },
  })
  familyChanged(@Root() family: Family, @Arg("id", () => ID, { nullable: false }) _id: string): Family {
    return family;
  }

  @Subscription(() => FamilyChange, {
    nullable: false,
    description: `Every family command's effect in the viewer's tenant, after the family read model committed it (coordinator, admin). A connection that leaves more than ${TENANT_ACTIVITY_QUEUE_LIMIT} messages unread is closed with ${SLOW_CONSUMER_CLOSE}.`,
    subscribe: ({ context }) => {
      const ctx = context as GatewayContext;
      const { tenantId } = viewerOf(ctx);
      return ctx.services.live.tenantStream(tenantId, TENANT_ACTIVITY_QUEUE_LIMIT, () =>
        ctx.connection?.close(SLOW_CONSUMER_CLOSE, `slow consumer: more than ${TENANT_ACTIVITY_QUEUE_LIMIT} messages unread`),
      );
    },
  })
  tenantActivity(@Root() change: FamilyChangeMessage): FamilyChange {
    return change;
  }
}
