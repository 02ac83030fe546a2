import { describe, expect, it } from "vitest";
import { GraphQLInt, GraphQLObjectType, GraphQLSchema, GraphQLString, type GraphQLFieldConfigMap } from "graphql";
import { ADMIN, ANY_ROLE, COORDINATION } from "../auth/access";
import { accessTable, checkModules, readsTable, type GraphQLModule } from "./module";
import { gatewaySchema, gatewayReads } from "./schema";
import { modules } from "../modules";

const fields = (names: string[]): GraphQLFieldConfigMap<unknown, unknown> => Object.fromEntries(names.map((n) => [n, { type: GraphQLString }]));
const Family = new GraphQLObjectType({ name: "Family", fields: { id: { type: GraphQLString }, comments: { type: GraphQLInt } } });
const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: "Query", fields: { ...fields(["familyComments"]), family: { type: Family } } }),
  mutation: new GraphQLObjectType({ name: "Mutation", fields: fields(["addComment"]) }),
});

const families: GraphQLModule = { name: "families", resolvers: [], Query: { family: { roles: ANY_ROLE, reads: ["family-detail"] } } };
const comments: GraphQLModule = {
  name: "comments",
  resolvers: [],
  Query: { familyComments: { roles: ANY_ROLE, reads: ["family-comments"] } },
  Mutation: { addComment: { roles: COORDINATION } },
  fields: { "Family.comments": { reads: ["family-comments"] } },
};

describe("GraphQL modules", () => {
  it("derive the access table and the reads of every query and declared type field", () => {
    expect(() => checkModules(schema, [families, comments])).not.toThrow();
    expect(accessTable([families, comments])).toEqual({
      Query: { family: ANY_ROLE, familyComments: ANY_ROLE },
      Mutation: { addComment: COORDINATION },
      Subscription: {},
    });
    expect(Object.fromEntries(readsTable([families, comments]))).toEqual({
      "Query.family": ["family-detail"],
      "Query.familyComments": ["family-comments"],
      "Family.comments": ["family-comments"],
    });
  });

  it("fail at start-up: an operation without a rule, a rule without an operation, a query field without reads", () => {
    expect(() => checkModules(schema, [families])).toThrow(/Query\.familyComments has no access rule[\s\S]*Mutation\.addComment has no access rule/);
    const extra: GraphQLModule = { ...comments, Mutation: { addComment: { roles: COORDINATION }, deleteComment: { roles: ADMIN } } };
    expect(() => checkModules(schema, [families, extra])).toThrow(/access rule for Mutation\.deleteComment, which the schema does not have/);
    const noReads = { ...comments, Query: { familyComments: { roles: ANY_ROLE } } } as unknown as GraphQLModule;
    expect(() => checkModules(schema, [families, noReads])).toThrow(/Query\.familyComments \(module comments\) does not say which read models it reads/);
    const emptyReads: GraphQLModule = { ...comments, Query: { familyComments: { roles: ANY_ROLE, reads: [] } } };
    expect(() => checkModules(schema, [families, emptyReads])).toThrow(/does not say which read models it reads/);
  });

  it("fail at start-up: one field declared by two modules, reads for a type field that does not exist", () => {
    const twice: GraphQLModule = { ...comments, Query: { ...comments.Query, family: { roles: ANY_ROLE, reads: ["family-detail"] } } };
    expect(() => checkModules(schema, [families, twice])).toThrow(/Query\.family is declared by both families and comments/);
    const ghost: GraphQLModule = { ...comments, fields: { "Family.notes": { reads: ["family-comments"] }, "Nope.comments": { reads: ["x"] } } };
    expect(() => checkModules(schema, [families, ghost])).toThrow(/Family\.notes, which the schema does not have[\s\S]*Nope\.comments/);
  });

  it("the gateway's own modules match its schema, and each module is named once", () => {
    expect(() => checkModules(gatewaySchema(), modules)).not.toThrow();
    expect(new Set(modules.map((m) => m.name)).size).toBe(modules.length);
    // Comments reach Family from their own module.
    expect(gatewayReads.get("Family.comments")).toEqual(["family-comments"]);
    expect(gatewayReads.get("Query.familyHistory")).toEqual(["events"]);
  });
});
