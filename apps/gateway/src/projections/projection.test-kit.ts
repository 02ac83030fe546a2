// The projections feature in the gateway's shared tests (src/testing/feature-kit.ts).
import { defineFeatureKit } from "../testing/feature-kit";

export const projectionKit = defineFeatureKit({
  module: "projections",
  mutations: {},
  queries: {
    projections: { document: `{ projections { name position headPosition lag status lastError eventsProcessed updatedAt lanes parkedStreams } }`, roles: ["admin"] },
    deadLetters: { document: `{ deadLetters { projection lane streamId position version type error attempts waiting firstFailedAt lastFailedAt } }`, roles: ["admin"] },
  },
  documents: {},
  contract: {
    Query: ["projections: [ProjectionStatus!]!", "deadLetters(projection: String): [DeadLetter!]!"],
    ProjectionStatus: [
      "name: String!", "position: String!", "headPosition: String!", "lag: Int!", "status: ProjectionState!", "lastError: String",
      "eventsProcessed: Int!", "updatedAt: DateTime!", "lanes: Int!", "parkedStreams: Int!",
    ],
    DeadLetter: [
      "projection: String!", "lane: Int!", "streamId: ID!", "position: String!", "version: Int!", "type: String!", "error: String",
      "attempts: Int!", "waiting: Int!", "firstFailedAt: DateTime!", "lastFailedAt: DateTime!",
    ],
  },
  enums: { ProjectionState: ["RUNNING", "REBUILDING", "STOPPED", "ERROR"] },
  badInputs: [],
  badArguments: [],
});
