// The committed schema.graphql is what the code serves, and the served schema is the contract's.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { isEnumType, isInputObjectType, isObjectType, print, astFromValue, type GraphQLField, type GraphQLInputField, type GraphQLArgument } from "graphql";
import { describe, expect, it } from "vitest";
import { checkAccessTable } from "../src/auth/access";
import { gatewaySchema, printGatewaySchema } from "../src/graphql/schema";

const SCHEMA_FILE = fileURLToPath(new URL("../schema.graphql", import.meta.url));

describe("schema.graphql", () => {
  it("matches the code", () => {
    const committed = readFileSync(SCHEMA_FILE, "utf8");
    const generated = printGatewaySchema();
    if (committed !== generated) {
      throw new Error("apps/gateway/schema.graphql is out of date with the code: run `pnpm --filter @coop/gateway run schema` and commit the result");
    }
  });

  it("every root field has an access rule (checked at start-up too)", () => {
    expect(() => checkAccessTable(gatewaySchema())).not.toThrow();
  });
});

function argText(a: GraphQLArgument | GraphQLInputField): string {
  const defaultValue = a.defaultValue === undefined ? "" : ` = ${print(astFromValue(a.defaultValue, a.type)!)}`;
  return `${a.name}: ${a.type.toString()}${defaultValue}`;
}
function fieldText(f: GraphQLField<unknown, unknown>): string {
  return `${f.name}${f.args.length ? `(${f.args.map(argText).join(", ")})` : ""}: ${f.type.toString()}`;
}

/** CONTRACT section 3, field by field: names, arguments, types, nullability, defaults. */
const CONTRACT: Record<string, string[]> = {
  Query: [
    "family(id: ID!): Family",
    "searchFamilies(term: String!, limit: Int = 50): [Family!]!",
    "atRiskFamilies(minRiskScore: Int = 70, limit: Int = 100): [AtRiskFamily!]!",
    "familiesByRiskTier: [RiskTierSummary!]!",
    "paymentAnalytics(from: Date!, to: Date!): [PaymentMonth!]!",
    "familyHistory(id: ID!): [DomainEvent!]!",
    "projections: [ProjectionStatus!]!",
  ],
  Mutation: [
    "enrollFamily(input: EnrollFamilyInput!): CommandReceipt!",
    "addChild(input: AddChildInput!): CommandReceipt!",
    "recordPayment(input: RecordPaymentInput!): CommandReceipt!",
    "updateEngagementScore(input: UpdateEngagementScoreInput!): CommandReceipt!",
    "assessRisk(input: AssessRiskInput!): CommandReceipt!",
    "recordContact(input: RecordContactInput!): CommandReceipt!",
    "assignCoordinator(input: AssignCoordinatorInput!): CommandReceipt!",
    "withdrawFamily(input: WithdrawFamilyInput!): CommandReceipt!",
  ],
  CommandReceipt: ["commandId: ID!", "streamId: ID!", "version: Int!", "position: String!", "events: [String!]!"],
  EnrollFamilyInput: ["familyId: ID", "familyName: String!", "enrollmentDate: Date!", "parentName: String!", "email: String!", "phone: String", "commandId: ID"],
  AddChildInput: ["familyId: ID!", "childName: String!", "birthDate: Date!", "commandId: ID"],
  RecordPaymentInput: ["familyId: ID!", "amountCents: Int!", "paidOn: Date!", "dueOn: Date", "method: PaymentMethod!", "transactionId: String!", "commandId: ID"],
  UpdateEngagementScoreInput: ["familyId: ID!", "score: Int!", "factors: JSON", "commandId: ID"],
  AssessRiskInput: ["familyId: ID!", "score: Int!", "factors: JSON", "commandId: ID"],
  RecordContactInput: ["familyId: ID!", "method: ContactMethod!", "contactedOn: Date!", "note: String", "commandId: ID"],
  AssignCoordinatorInput: ["familyId: ID!", "coordinator: String!", "commandId: ID"],
  WithdrawFamilyInput: ["familyId: ID!", "reason: String!", "commandId: ID"],
  Family: [
    "id: ID!", "familyName: String!", "status: FamilyStatus!", "enrollmentDate: Date!", "parentName: String!", "email: String!", "phone: String",
    "children: [Child!]!", "childrenCount: Int!", "oldestChildAge: Int", "totalPaidCents: Int!", "paymentCount: Int!", "lastPaymentDate: Date",
    "avgDaysLate: Float", "engagementScore: Int!", "riskScore: Int!", "riskTier: RiskTier!", "riskFactors: JSON", "assignedCoordinator: String",
    "lastContactDate: Date", "version: Int!", "updatedAt: DateTime!",
  ],
  Child: ["name: String!", "birthDate: Date!"],
  AtRiskFamily: [
    "familyId: ID!", "familyName: String!", "riskScore: Int!", "riskTier: RiskTier!", "riskFactors: JSON", "recommendedIntervention: String!",
    "lastContactDate: Date", "daysSinceContact: Int", "assignedCoordinator: String",
  ],
  RiskTierSummary: ["riskTier: RiskTier!", "families: Int!", "avgEngagement: Float!", "avgRisk: Float!"],
  PaymentMonth: [
    "month: Date!", "paymentCount: Int!", "familiesPaid: Int!", "revenueCollectedCents: Int!", "paidOnTime: Int!", "paidLate: Int!",
    "avgDaysLate: Float", "methodBreakdown: [MethodTotal!]!",
  ],
  MethodTotal: ["method: PaymentMethod!", "count: Int!", "amountCents: Int!"],
  DomainEvent: ["position: String!", "version: Int!", "type: String!", "schemaVersion: Int!", "recordedAt: DateTime!", "data: JSON!", "metadata: JSON!"],
  ProjectionStatus: [
    "name: String!", "position: String!", "headPosition: String!", "lag: Int!", "status: ProjectionState!", "lastError: String",
    "eventsProcessed: Int!", "updatedAt: DateTime!",
  ],
};
const ENUMS: Record<string, string[]> = {
  PaymentMethod: ["CARD", "ACH", "CASH", "CHECK", "OTHER"],
  ContactMethod: ["PHONE", "EMAIL", "VISIT", "MESSAGE"],
  FamilyStatus: ["ENROLLED", "WITHDRAWN"],
  RiskTier: ["CRITICAL", "HIGH", "MEDIUM", "LOW"],
  ProjectionState: ["RUNNING", "REBUILDING", "STOPPED", "ERROR"],
};

describe("the served schema is CONTRACT section 3", () => {
  const schema = gatewaySchema();
  for (const [typeName, fields] of Object.entries(CONTRACT)) {
    it(typeName, () => {
      const type = schema.getType(typeName);
      if (isObjectType(type)) expect(Object.values(type.getFields()).map(fieldText)).toEqual(fields);
      else if (isInputObjectType(type)) expect(Object.values(type.getFields()).map(argText)).toEqual(fields);
      else throw new Error(`${typeName} is missing`);
    });
  }
  it("enums, and the Date, DateTime and JSON scalars", () => {
    for (const [name, values] of Object.entries(ENUMS)) {
      const type = schema.getType(name);
      expect(isEnumType(type) && type.getValues().map((v) => v.name)).toEqual(values);
    }
    for (const name of ["Date", "DateTime", "JSON"]) expect(schema.getType(name)?.toString()).toBe(name);
  });
});
