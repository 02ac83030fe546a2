import { describe, expect, it } from "vitest";
import { GraphQLObjectType, GraphQLSchema, GraphQLString, parse, type OperationDefinitionNode } from "graphql";
import { ADMIN, ANY_ROLE, checkAccessTable, COORDINATION, deniedField, FINANCE, rootFields, type AccessTable } from "./access";

const TABLE: AccessTable = {
  Query: { family: ANY_ROLE, familyHistory: COORDINATION, projections: ADMIN },
  Mutation: { recordPayment: FINANCE },
  Subscription: { familyChanged: ANY_ROLE },
};

const field = { type: GraphQLString };
const schemaOf = (query: string[], mutation: string[] = [], subscription: string[] = []) =>
  new GraphQLSchema({
    query: new GraphQLObjectType({ name: "Query", fields: Object.fromEntries(query.map((f) => [f, field])) }),
    mutation: mutation.length ? new GraphQLObjectType({ name: "Mutation", fields: Object.fromEntries(mutation.map((f) => [f, field])) }) : undefined,
    subscription: subscription.length ? new GraphQLObjectType({ name: "Subscription", fields: Object.fromEntries(subscription.map((f) => [f, field])) }) : undefined,
  });

describe("the access table", () => {
  it("matches a schema with the same operations", () => {
    expect(() => checkAccessTable(schemaOf(["family", "familyHistory", "projections"], ["recordPayment"], ["familyChanged"]), TABLE)).not.toThrow();
  });

  it("refuses a query, mutation or subscription field without a rule, and a rule without a field", () => {
    expect(() => checkAccessTable(schemaOf(["family", "familyHistory", "projections", "secret"], ["recordPayment"], ["familyChanged"]), TABLE)).toThrow(/Query\.secret has no access rule/);
    expect(() => checkAccessTable(schemaOf(["family", "familyHistory", "projections"], ["recordPayment", "wipe"], ["familyChanged"]), TABLE)).toThrow(/Mutation\.wipe has no access rule/);
    expect(() => checkAccessTable(schemaOf(["family", "familyHistory", "projections"], ["recordPayment"], ["familyChanged", "leak"]), TABLE)).toThrow(/Subscription\.leak has no access rule/);
    expect(() => checkAccessTable(schemaOf(["family", "familyHistory"], ["recordPayment"], ["familyChanged"]), TABLE)).toThrow(/access rule for Query\.projections, which the schema does not have/);
    // A field named like an Object.prototype member is still a field without a rule.
    expect(() => checkAccessTable(schemaOf(["family", "familyHistory", "projections", "constructor"], ["recordPayment"], ["familyChanged"]), TABLE)).toThrow(/Query\.constructor has no access rule/);
  });

  it("refuses a rule with no role or an unknown one", () => {
    const schema = schemaOf(["family"]);
    expect(() => checkAccessTable(schema, { Query: { family: [] }, Mutation: {}, Subscription: {} })).toThrow(/Query\.family/);
    expect(() => checkAccessTable(schema, { Query: { family: ["root" as never] }, Mutation: {}, Subscription: {} })).toThrow(/Query\.family/);
  });

  it("finds root fields through fragments and checks roles", () => {
    const document = parse(`query { ...F ... on Query { familyHistory(id: "x") { type } } } fragment F on Query { family(id: "x") { id } __typename }`);
    const operation = document.definitions[0] as OperationDefinitionNode;
    expect(rootFields(operation, document).sort()).toEqual(["__typename", "family", "familyHistory"]);
    const finance = { userId: "u", tenantId: "t", roles: new Set(["finance"] as const) };
    expect(deniedField(finance, "query", ["family", "__typename"], TABLE)).toBeNull();
    expect(deniedField(finance, "query", ["family", "familyHistory"], TABLE)).toBe("familyHistory");
    expect(deniedField(null, "query", ["__schema"], TABLE)).toBeNull();
    expect(deniedField(finance, "mutation", ["recordPayment"], TABLE)).toBeNull();
    expect(deniedField(finance, "mutation", ["nope"], TABLE)).toBe("nope");
    expect(deniedField(finance, "mutation", ["family"], TABLE)).toBe("family");
    expect(deniedField(finance, "subscription", ["familyChanged"], TABLE)).toBeNull();
    expect(deniedField(finance, "query", ["toString"], TABLE)).toBe("toString");
  });
});
