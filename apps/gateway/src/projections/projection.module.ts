// The projections feature: the operators' view of every projection's checkpoint and lag.
import { ADMIN } from "../auth/access";
import { defineModule, EVENT_STORE } from "../graphql/module";
import { ProjectionResolver } from "./projection.resolver";

export const projectionsModule = defineModule({
  name: "projections",
  resolvers: [ProjectionResolver],
  Query: {
    // The checkpoints and the event store's head: current by nature, no read model to wait for.
    projections: { roles: ADMIN, reads: [EVENT_STORE] },
    deadLetters: { roles: ADMIN, reads: [EVENT_STORE] },
  },
});
