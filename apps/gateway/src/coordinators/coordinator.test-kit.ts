// The coordinators feature in the gateway's shared tests (src/testing/feature-kit.ts).
import { defineFeatureKit, type MutationCase } from "../testing/feature-kit";

const RECEIPT = "{ commandId streamId version position events }";

const mutations = {
  registerCoordinator: {
    document: `mutation Register($input: RegisterCoordinatorInput!) { registerCoordinator(input: $input) ${RECEIPT} }`,
    roles: ["admin"],
    stream: { kind: "coordinator", creates: true },
    // A name of its own per coordinator: names are unique in the tenant.
    validInput: (coordinatorId, _today, n) => ({ coordinatorId, name: `Coordinator ${n} ${String(coordinatorId).slice(0, 8)}`, caseloadLimit: 10 + n }),
  },
  setCaseloadLimit: {
    document: `mutation Limit($input: SetCaseloadLimitInput!) { setCaseloadLimit(input: $input) ${RECEIPT} }`,
    roles: ["admin"],
    stream: { kind: "coordinator" },
    validInput: (coordinatorId, _today, n) => ({ coordinatorId, caseloadLimit: 20 + n }),
  },
} satisfies Record<string, MutationCase>;

const valid = <N extends keyof typeof mutations>(name: N, coordinatorId: string) => mutations[name].validInput(coordinatorId, "", 0);

export const coordinatorKit = defineFeatureKit({
  module: "coordinators",
  mutations,
  queries: {
    coordinators: { document: `{ coordinators { id name caseloadLimit caseload overLimit } }`, roles: ["admin", "coordinator"] },
  },
  documents: {},
  contract: {
    Query: ["coordinators: [Coordinator!]!"],
    Mutation: ["registerCoordinator(input: RegisterCoordinatorInput!): CommandReceipt!", "setCaseloadLimit(input: SetCaseloadLimitInput!): CommandReceipt!"],
    Coordinator: ["id: ID!", "name: String!", "caseloadLimit: Int!", "caseload: Int!", "overLimit: Boolean!"],
    RegisterCoordinatorInput: ["coordinatorId: ID", "name: String!", "caseloadLimit: Int!", "commandId: ID"],
    SetCaseloadLimitInput: ["coordinatorId: ID!", "caseloadLimit: Int!", "commandId: ID"],
  },
  badInputs: [
    { name: "coordinator name blank", mutation: "registerCoordinator", input: (c) => ({ ...valid("registerCoordinator", c), name: "   " }), field: "name" },
    { name: "coordinator name over 100 characters", mutation: "registerCoordinator", input: (c) => ({ ...valid("registerCoordinator", c), name: "n".repeat(101) }), field: "name" },
    { name: "caseload limit 0", mutation: "registerCoordinator", input: (c) => ({ ...valid("registerCoordinator", c), caseloadLimit: 0 }), field: "caseloadLimit" },
    { name: "caseload limit 501", mutation: "setCaseloadLimit", input: (c) => ({ ...valid("setCaseloadLimit", c), caseloadLimit: 501 }), field: "caseloadLimit" },
    { name: "caseload limit not an Int", mutation: "setCaseloadLimit", input: (c) => ({ ...valid("setCaseloadLimit", c), caseloadLimit: 2.5 }), field: "caseloadLimit" },
    { name: "coordinator id not a UUID", mutation: "registerCoordinator", input: (c) => ({ ...valid("registerCoordinator", c), coordinatorId: "kim" }), field: "coordinatorId" },
    { name: "limit for a coordinator id that is not a UUID", mutation: "setCaseloadLimit", input: () => ({ coordinatorId: "kim", caseloadLimit: 3 }), field: "coordinatorId" },
  ],
  badArguments: [],
});
