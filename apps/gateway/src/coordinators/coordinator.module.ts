// The coordinators feature: coordinators as their own aggregate, and their caseloads
// (CONTRACT section 11).
import { ADMIN, COORDINATION } from "../auth/access";
import { defineModule } from "../graphql/module";
import { CoordinatorResolver } from "./coordinator.resolver";

export const coordinatorsModule = defineModule({
  name: "coordinators",
  resolvers: [CoordinatorResolver],
  Query: {
    coordinators: { roles: COORDINATION, reads: ["coordinator-caseload"] },
  },
  Mutation: {
    registerCoordinator: { roles: ADMIN },
    setCaseloadLimit: { roles: ADMIN },
  },
});
