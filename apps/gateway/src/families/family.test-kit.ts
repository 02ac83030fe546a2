// The families feature in the gateway's shared tests (src/testing/feature-kit.ts): its documents,
// valid inputs, contract lines (CONTRACT section 3) and one-field-wrong inputs.
import { randomUUID } from "node:crypto";
import { defineFeatureKit, type MutationCase, type QueryCase } from "../testing/feature-kit";

const RECEIPT = "{ commandId streamId version position events }";
const COORDINATION = ["admin", "coordinator"] as const;

export const FAMILY_FIELDS = `id familyName status enrollmentDate parentName email phone children { name birthDate } childrenCount
  oldestChildAge totalPaidCents paymentCount lastPaymentDate avgDaysLate engagementScore riskScore riskTier riskFactors
  assignedCoordinator lastContactDate version updatedAt`;

const AT_RISK_FIELDS = "familyId familyName riskScore riskTier riskFactors recommendedIntervention lastContactDate daysSinceContact assignedCoordinator id";

/** `days` days before `date` (negative: after), without the gateway's own date helpers. */
function daysBefore(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - days);
  return d.toISOString().slice(0, 10);
}

const mutations = {
  enrollFamily: {
    document: `mutation Enroll($input: EnrollFamilyInput!) { enrollFamily(input: $input) ${RECEIPT} }`,
    roles: COORDINATION,
    stream: { kind: "family", creates: true },
    validInput: (familyId, today, n) => ({ familyId, familyName: `Family ${n}`, enrollmentDate: today, parentName: "Pat", email: "pat@example.com" }),
  },
  addChild: {
    document: `mutation AddChild($input: AddChildInput!) { addChild(input: $input) ${RECEIPT} }`,
    roles: COORDINATION,
    stream: { kind: "family" },
    validInput: (familyId, _today, n) => ({ familyId, childName: `Child ${n}`, birthDate: "2018-05-05" }),
  },
  recordPayment: {
    document: `mutation Pay($input: RecordPaymentInput!) { recordPayment(input: $input) ${RECEIPT} }`,
    roles: ["admin", "finance"],
    stream: { kind: "family" },
    validInput: (familyId, today, n) => ({ familyId, amountCents: 1000 + n, paidOn: today, method: "CARD", transactionId: `tx-${n}-${randomUUID()}` }),
  },
  updateEngagementScore: {
    document: `mutation Engage($input: UpdateEngagementScoreInput!) { updateEngagementScore(input: $input) ${RECEIPT} }`,
    roles: COORDINATION,
    stream: { kind: "family" },
    validInput: (familyId) => ({ familyId, score: 50 }),
  },
  assessRisk: {
    document: `mutation Risk($input: AssessRiskInput!) { assessRisk(input: $input) ${RECEIPT} }`,
    roles: COORDINATION,
    stream: { kind: "family" },
    validInput: (familyId) => ({ familyId, score: 60 }),
  },
  recordContact: {
    document: `mutation Contact($input: RecordContactInput!) { recordContact(input: $input) ${RECEIPT} }`,
    roles: COORDINATION,
    stream: { kind: "family" },
    validInput: (familyId, today) => ({ familyId, method: "PHONE", contactedOn: today }),
  },
  assignCoordinator: {
    document: `mutation Assign($input: AssignCoordinatorInput!) { assignCoordinator(input: $input) ${RECEIPT} }`,
    roles: COORDINATION,
    stream: { kind: "family" },
    validInput: (familyId) => ({ familyId, coordinator: "Kim" }),
  },
  withdrawFamily: {
    document: `mutation Withdraw($input: WithdrawFamilyInput!) { withdrawFamily(input: $input) ${RECEIPT} }`,
    roles: COORDINATION,
    stream: { kind: "family" },
    validInput: (familyId) => ({ familyId, reason: "moved away" }),
  },
  forgetFamily: {
    document: `mutation Forget($input: ForgetFamilyInput!) { forgetFamily(input: $input) ${RECEIPT} }`,
    roles: ["admin"],
    stream: { kind: "family" },
    validInput: (familyId) => ({ familyId }),
  },
} satisfies Record<string, MutationCase>;

const queries = {
  family: { document: `query Family($id: ID!) { family(id: $id) { ${FAMILY_FIELDS} } }`, roles: ["admin", "coordinator", "finance"], variables: () => ({ id: randomUUID() }) },
  searchFamilies: {
    document: `query Search($term: String!, $limit: Int) { searchFamilies(term: $term, limit: $limit) { id familyName status } }`,
    roles: ["admin", "coordinator", "finance"],
    variables: () => ({ term: "x" }),
  },
  atRiskFamilies: { document: `query AtRisk($min: Int, $limit: Int) { atRiskFamilies(minRiskScore: $min, limit: $limit) { ${AT_RISK_FIELDS} } }`, roles: COORDINATION },
  familiesByRiskTier: { document: `{ familiesByRiskTier { riskTier families avgEngagement avgRisk } }`, roles: COORDINATION },
  paymentAnalytics: {
    document: `query Analytics($from: Date!, $to: Date!) { paymentAnalytics(from: $from, to: $to) {
  month paymentCount familiesPaid revenueCollectedCents paidOnTime paidLate avgDaysLate methodBreakdown { method count amountCents } } }`,
    roles: ["admin", "finance"],
    variables: () => ({ from: "2026-01-01", to: "2026-03-01" }),
  },
  familyHistory: {
    document: `query History($id: ID!) { familyHistory(id: $id) { position version type schemaVersion recordedAt data metadata } }`,
    roles: COORDINATION,
    variables: () => ({ id: randomUUID() }),
  },
} satisfies Record<string, QueryCase>;

// CONTRACT section 6: live updates, with the role rules of the matching queries.
const subscriptions = {
  familyChanged: {
    document: `subscription Changed($id: ID!) { familyChanged(id: $id) { ${FAMILY_FIELDS} } }`,
    roles: ["admin", "coordinator", "finance"],
    variables: () => ({ id: randomUUID() }),
  },
  tenantActivity: { document: `subscription Activity { tenantActivity { familyId version position events } }`, roles: COORDINATION },
} satisfies Record<string, QueryCase>;

const documents = {
  searchFamiliesDefault: `query Search($term: String!) { searchFamilies(term: $term) { id familyName status } }`,
  searchFamiliesPage: `query SearchPage($term: String!, $first: Int, $after: ID, $limit: Int) {
    searchFamilies(term: $term, first: $first, after: $after, limit: $limit) { id familyName totalPaidCents } }`,
  atRiskFamiliesDefault: `{ atRiskFamilies { familyId familyName riskScore } }`,
  atRiskFamiliesPage: `query AtRiskPage($min: Int, $first: Int, $after: ID, $limit: Int) {
    atRiskFamilies(minRiskScore: $min, first: $first, after: $after, limit: $limit) { id familyId familyName riskScore lastContactDate } }`,
};

const valid = <N extends keyof typeof mutations>(name: N, familyId: string, today: string) => mutations[name].validInput(familyId, today, 0);

export const familyKit = defineFeatureKit({
  module: "families",
  mutations,
  queries,
  subscriptions,
  documents,
  contract: {
    Subscription: ["familyChanged(id: ID!): Family!", "tenantActivity: FamilyChange!"],
    FamilyChange: ["familyId: ID!", "version: Int!", "position: String!", "events: [String!]!"],
    Query: [
      "family(id: ID!, asOf: DateTime): Family",
      "searchFamilies(term: String!, limit: Int = 50, first: Int, after: ID): [Family!]!",
      "atRiskFamilies(minRiskScore: Int = 70, limit: Int = 100, first: Int, after: ID): [AtRiskFamily!]!",
      "familiesByRiskTier: [RiskTierSummary!]!",
      "paymentAnalytics(from: Date!, to: Date!): [PaymentMonth!]!",
      "familyHistory(id: ID!): [DomainEvent!]!",
    ],
    // CONTRACT section 6: the receipt's family, once its read model includes the command.
    CommandReceipt: ["family: Family"],
    Mutation: [
      "enrollFamily(input: EnrollFamilyInput!): CommandReceipt!",
      "addChild(input: AddChildInput!): CommandReceipt!",
      "recordPayment(input: RecordPaymentInput!): CommandReceipt!",
      "updateEngagementScore(input: UpdateEngagementScoreInput!): CommandReceipt!",
      "assessRisk(input: AssessRiskInput!): CommandReceipt!",
      "recordContact(input: RecordContactInput!): CommandReceipt!",
      "assignCoordinator(input: AssignCoordinatorInput!): CommandReceipt!",
      "withdrawFamily(input: WithdrawFamilyInput!): CommandReceipt!",
      "forgetFamily(input: ForgetFamilyInput!): CommandReceipt!",
    ],
    EnrollFamilyInput: ["familyId: ID", "familyName: String!", "enrollmentDate: Date!", "parentName: String!", "email: String!", "phone: String", "commandId: ID"],
    AddChildInput: ["familyId: ID!", "childName: String!", "birthDate: Date!", "commandId: ID"],
    RecordPaymentInput: ["familyId: ID!", "amountCents: Int!", "paidOn: Date!", "dueOn: Date", "method: PaymentMethod!", "transactionId: String!", "commandId: ID"],
    UpdateEngagementScoreInput: ["familyId: ID!", "score: Int!", "factors: JSON", "commandId: ID"],
    AssessRiskInput: ["familyId: ID!", "score: Int!", "factors: JSON", "commandId: ID"],
    RecordContactInput: ["familyId: ID!", "method: ContactMethod!", "contactedOn: Date!", "note: String", "commandId: ID"],
    AssignCoordinatorInput: ["familyId: ID!", "coordinator: String!", "commandId: ID"],
    WithdrawFamilyInput: ["familyId: ID!", "reason: String!", "commandId: ID"],
    ForgetFamilyInput: ["familyId: ID!", "commandId: ID"],
    Family: [
      "id: ID!", "familyName: String!", "status: FamilyStatus!", "enrollmentDate: Date!", "parentName: String!", "email: String!", "phone: String",
      "children: [Child!]!", "childrenCount: Int!", "oldestChildAge: Int", "totalPaidCents: SafeInt!", "paymentCount: Int!", "lastPaymentDate: Date",
      "avgDaysLate: Float", "engagementScore: Int!", "riskScore: Int!", "riskTier: RiskTier!", "riskFactors: JSON", "assignedCoordinator: String",
      "lastContactDate: Date", "version: Int!", "updatedAt: DateTime!",
    ],
    Child: ["name: String!", "birthDate: Date!"],
    AtRiskFamily: [
      "familyId: ID!", "familyName: String!", "riskScore: Int!", "riskTier: RiskTier!", "riskFactors: JSON", "recommendedIntervention: String!",
      "lastContactDate: Date", "daysSinceContact: Int", "assignedCoordinator: String", "id: ID!",
    ],
    RiskTierSummary: ["riskTier: RiskTier!", "families: Int!", "avgEngagement: Float!", "avgRisk: Float!"],
    PaymentMonth: [
      "month: Date!", "paymentCount: Int!", "familiesPaid: Int!", "revenueCollectedCents: SafeInt!", "paidOnTime: Int!", "paidLate: Int!",
      "avgDaysLate: Float", "methodBreakdown: [MethodTotal!]!",
    ],
    MethodTotal: ["method: PaymentMethod!", "count: Int!", "amountCents: SafeInt!"],
    DomainEvent: ["position: String!", "version: Int!", "type: String!", "schemaVersion: Int!", "recordedAt: DateTime!", "data: JSON!", "metadata: JSON!"],
  },
  enums: {
    PaymentMethod: ["CARD", "ACH", "CASH", "CHECK", "OTHER"],
    ContactMethod: ["PHONE", "EMAIL", "VISIT", "MESSAGE"],
    FamilyStatus: ["ENROLLED", "WITHDRAWN", "FORGOTTEN"],
    RiskTier: ["CRITICAL", "HIGH", "MEDIUM", "LOW"],
  },
  badInputs: [
    { name: "commandId not a UUID", mutation: "addChild", input: (f, t) => ({ ...valid("addChild", f, t), commandId: "not-a-uuid" }), field: "commandId" },
    { name: "empty family name", mutation: "enrollFamily", input: (_f, t) => ({ ...valid("enrollFamily", randomUUID(), t), familyName: "   " }), field: "familyName" },
    { name: "family id not a UUID", mutation: "enrollFamily", input: (_f, t) => valid("enrollFamily", "nope", t), field: "familyId" },
    { name: "bad e-mail", mutation: "enrollFamily", input: (_f, t) => ({ ...valid("enrollFamily", randomUUID(), t), email: "no-at-sign" }), field: "email" },
    { name: "enrollment too far ahead", mutation: "enrollFamily", input: (_f, t) => ({ ...valid("enrollFamily", randomUUID(), t), enrollmentDate: daysBefore(t, -400) }), field: "enrollmentDate" },
    { name: "birth date in the future", mutation: "addChild", input: (f, t) => ({ ...valid("addChild", f, t), birthDate: daysBefore(t, -1) }), field: "birthDate" },
    { name: "not a calendar date", mutation: "addChild", input: (f, t) => ({ ...valid("addChild", f, t), birthDate: "2021-02-29" }), field: "birthDate" },
    { name: "amount zero", mutation: "recordPayment", input: (f, t) => ({ ...valid("recordPayment", f, t), amountCents: 0 }), field: "amountCents" },
    { name: "amount not an Int", mutation: "recordPayment", input: (f, t) => ({ ...valid("recordPayment", f, t), amountCents: "12" }), field: "amountCents" },
    { name: "unknown payment method", mutation: "recordPayment", input: (f, t) => ({ ...valid("recordPayment", f, t), method: "BITCOIN" }), field: "method" },
    { name: "transaction id too long", mutation: "recordPayment", input: (f, t) => ({ ...valid("recordPayment", f, t), transactionId: "x".repeat(101) }), field: "transactionId" },
    { name: "score above 100", mutation: "assessRisk", input: (f, t) => ({ ...valid("assessRisk", f, t), score: 101 }), field: "score" },
    {
      name: "factors nested too deep",
      mutation: "assessRisk",
      input: (f, t) => ({ ...valid("assessRisk", f, t), factors: JSON.parse(`${"[".repeat(4_011)}${"]".repeat(4_011)}`) as unknown }),
      field: "factors",
    },
    { name: "NUL in a name", mutation: "enrollFamily", input: (_f, t) => ({ ...valid("enrollFamily", randomUUID(), t), familyName: "Rivera\u0000" }), field: "familyName" },
    { name: "NUL inside factors", mutation: "updateEngagementScore", input: (f, t) => ({ ...valid("updateEngagementScore", f, t), factors: { note: "\u0000\ud83d\ude00' OR 1=1 --" } }), field: "factors" },
    { name: "unpaired surrogate in a reason", mutation: "withdrawFamily", input: (f, t) => ({ ...valid("withdrawFamily", f, t), reason: "moved \ud83d" }), field: "reason" },
    { name: "score negative", mutation: "updateEngagementScore", input: (f, t) => ({ ...valid("updateEngagementScore", f, t), score: -1 }), field: "score" },
    { name: "contact in the future", mutation: "recordContact", input: (f, t) => ({ ...valid("recordContact", f, t), contactedOn: daysBefore(t, -2) }), field: "contactedOn" },
    { name: "note too long", mutation: "recordContact", input: (f, t) => ({ ...valid("recordContact", f, t), note: "n".repeat(501) }), field: "note" },
    { name: "coordinator empty", mutation: "assignCoordinator", input: (f, t) => ({ ...valid("assignCoordinator", f, t), coordinator: "" }), field: "coordinator" },
    { name: "reason missing", mutation: "withdrawFamily", input: (f) => ({ familyId: f }), field: "reason" },
    { name: "forget: family id not a UUID", mutation: "forgetFamily", input: () => ({ familyId: "nope" }), field: "familyId" },
    { name: "unknown input field", mutation: "withdrawFamily", input: (f, t) => ({ ...valid("withdrawFamily", f, t), because: "x" }), field: "because" },
  ],
  badArguments: [
    { name: "search limit 0", document: queries.searchFamilies.document, variables: { term: "a", limit: 0 }, field: "limit" },
    { name: "search limit 501", document: queries.searchFamilies.document, variables: { term: "a", limit: 501 }, field: "limit" },
    { name: "search term too long", document: queries.searchFamilies.document, variables: { term: "a".repeat(501) }, field: "term" },
    { name: "NUL in the search term", document: queries.searchFamilies.document, variables: { term: "a\u0000" }, field: "term" },
    { name: "search term a literal of the wrong type", document: `{ searchFamilies(term: 5) { id } }`, field: "term" },
    { name: "search page size 0", document: documents.searchFamiliesPage, variables: { term: "a", first: 0 }, field: "first" },
    { name: "search page size 501", document: documents.searchFamiliesPage, variables: { term: "a", first: 501 }, field: "first" },
    { name: "search first and limit differ", document: documents.searchFamiliesPage, variables: { term: "a", first: 10, limit: 20 }, field: "first" },
    { name: "search after not an id", document: documents.searchFamiliesPage, variables: { term: "a", first: 10, after: "nope" }, field: "after" },
    { name: "search after an unknown family", document: documents.searchFamiliesPage, variables: { term: "a", first: 10, after: randomUUID() }, field: "after" },
    { name: "minRiskScore above 100", document: queries.atRiskFamilies.document, variables: { min: 101 }, field: "minRiskScore" },
    { name: "minRiskScore negative", document: queries.atRiskFamilies.document, variables: { min: -1 }, field: "minRiskScore" },
    { name: "at-risk limit 1000", document: queries.atRiskFamilies.document, variables: { limit: 1000 }, field: "limit" },
    { name: "at-risk page size 0", document: documents.atRiskFamiliesPage, variables: { first: 0 }, field: "first" },
    { name: "at-risk first and limit differ", document: documents.atRiskFamiliesPage, variables: { first: 100, limit: 99 }, field: "first" },
    { name: "at-risk after not an id", document: documents.atRiskFamiliesPage, variables: { first: 5, after: "1" }, field: "after" },
    { name: "at-risk after an unknown family", document: documents.atRiskFamiliesPage, variables: { first: 5, after: randomUUID() }, field: "after" },
    { name: "analytics from after to", document: queries.paymentAnalytics.document, variables: { from: "2026-05-01", to: "2026-04-01" }, field: "from" },
    { name: "analytics over ten years", document: queries.paymentAnalytics.document, variables: { from: "2010-01-01", to: "2020-01-02" }, field: "to" },
    { name: "analytics from not a date", document: queries.paymentAnalytics.document, variables: { from: "2026-13-01", to: "2026-04-01" }, field: "from" },
    { name: "family without its id", document: `{ family { id } }`, field: "id" },
    { name: "family without the id variable", document: queries.family.document, variables: {}, field: "id" },
  ],
});
