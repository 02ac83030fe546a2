// The projections feature in the gateway's shared tests (src/testing/feature-kit.ts).
import { defineFeatureKit } from "../testing/feature-kit";

export const projectionKit = defineFeatureKit({
  module: "projections",
  mutations: {},
  queries: {
    projections: { document: `{ projections { name position headPosition lag status lastError eventsProcessed updatedAt } }`, roles: ["admin"] },
  },
  documents: {},
  contract: {
    Query: ["projections: [ProjectionStatus!]!"],
    ProjectionStatus: [
      "name: String!", "position: String!", "headPosition: String!", "lag: Int!", "status: ProjectionState!", "lastError: String",
      "eventsProcessed: Int!", "updatedAt: DateTime!",
    ],
  },
  enums: { ProjectionState: ["RUNNING", "REBUILDING", "STOPPED", "ERROR"] },
  badInputs: [],
  badArguments: [],
});
