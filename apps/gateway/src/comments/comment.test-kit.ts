// The comments feature in the gateway's shared tests (src/testing/feature-kit.ts).
import { randomUUID } from "node:crypto";
import { defineFeatureKit, type MutationCase } from "../testing/feature-kit";

const RECEIPT = "{ commandId streamId version position events }";

const mutations = {
  addComment: {
    document: `mutation Comment($input: AddCommentInput!) { addComment(input: $input) ${RECEIPT} }`,
    roles: ["admin", "coordinator"],
    stream: { kind: "family" },
    validInput: (familyId, _today, n) => ({ familyId, body: `Comment ${n}` }),
  },
} satisfies Record<string, MutationCase>;

const familyComments = `query Comments($familyId: ID!, $limit: Int) { familyComments(familyId: $familyId, limit: $limit) { id body author addedAt } }`;

export const commentKit = defineFeatureKit({
  module: "comments",
  mutations,
  queries: {
    familyComments: { document: familyComments, roles: ["admin", "coordinator", "finance"], variables: () => ({ familyId: randomUUID() }) },
  },
  documents: {
    familyWithComments: `query FamilyComments($id: ID!) { family(id: $id) { id version commentCount comments { id body author addedAt } } }`,
    searchWithComments: `query SearchComments($term: String!, $limit: Int) { searchFamilies(term: $term, limit: $limit) { id commentCount comments { id body } } }`,
  },
  contract: {
    Query: ["familyComments(familyId: ID!, limit: Int = 50): [Comment!]!"],
    Mutation: ["addComment(input: AddCommentInput!): CommandReceipt!"],
    AddCommentInput: ["familyId: ID!", "body: String!", "commandId: ID"],
    Comment: ["id: ID!", "body: String!", "author: String!", "addedAt: DateTime!"],
    Family: ["comments: [Comment!]!", "commentCount: Int!"],
  },
  badInputs: [
    { name: "comment body blank", mutation: "addComment", input: (f) => ({ familyId: f, body: "  \n " }), field: "body" },
    { name: "comment body over 2,000 characters", mutation: "addComment", input: (f) => ({ familyId: f, body: "b".repeat(2_001) }), field: "body" },
    { name: "NUL in a comment", mutation: "addComment", input: (f) => ({ familyId: f, body: "fine\u0000" }), field: "body" },
    { name: "comment body missing", mutation: "addComment", input: (f) => ({ familyId: f }), field: "body" },
    { name: "comment on a family id that is not a UUID", mutation: "addComment", input: () => ({ familyId: "family-1", body: "hello" }), field: "familyId" },
    { name: "comment command id not a UUID", mutation: "addComment", input: (f) => ({ familyId: f, body: "hello", commandId: "again" }), field: "commandId" },
  ],
  badArguments: [
    { name: "comments limit 0", document: familyComments, variables: { familyId: randomUUID(), limit: 0 }, field: "limit" },
    { name: "comments limit 501", document: familyComments, variables: { familyId: randomUUID(), limit: 501 }, field: "limit" },
    { name: "comments without a family id", document: familyComments, variables: {}, field: "familyId" },
  ],
});
