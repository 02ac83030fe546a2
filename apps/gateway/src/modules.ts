// Every GraphQL feature of the gateway: THE list to edit when adding one. The schema, the access
// table and the start-up check (src/graphql/schema.ts) are derived from it.
import { commentsModule } from "./comments/comment.module";
import { coordinatorsModule } from "./coordinators/coordinator.module";
import { familiesModule } from "./families/family.module";
import type { GraphQLModule } from "./graphql/module";
import { projectionsModule } from "./projections/projection.module";

export const modules: readonly GraphQLModule[] = [familiesModule, commentsModule, coordinatorsModule, projectionsModule];
