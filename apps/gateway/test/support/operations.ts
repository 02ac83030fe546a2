// GraphQL documents the tests send, one per operation of CONTRACT section 3.
const RECEIPT = "{ commandId streamId version position events }";

export const M = {
  enrollFamily: `mutation Enroll($input: EnrollFamilyInput!) { enrollFamily(input: $input) ${RECEIPT} }`,
  addChild: `mutation AddChild($input: AddChildInput!) { addChild(input: $input) ${RECEIPT} }`,
  recordPayment: `mutation Pay($input: RecordPaymentInput!) { recordPayment(input: $input) ${RECEIPT} }`,
  updateEngagementScore: `mutation Engage($input: UpdateEngagementScoreInput!) { updateEngagementScore(input: $input) ${RECEIPT} }`,
  assessRisk: `mutation Risk($input: AssessRiskInput!) { assessRisk(input: $input) ${RECEIPT} }`,
  recordContact: `mutation Contact($input: RecordContactInput!) { recordContact(input: $input) ${RECEIPT} }`,
  assignCoordinator: `mutation Assign($input: AssignCoordinatorInput!) { assignCoordinator(input: $input) ${RECEIPT} }`,
  withdrawFamily: `mutation Withdraw($input: WithdrawFamilyInput!) { withdrawFamily(input: $input) ${RECEIPT} }`,
} as const;
export type MutationName = keyof typeof M;

export const FAMILY_FIELDS = `id familyName status enrollmentDate parentName email phone children { name birthDate } childrenCount
  oldestChildAge totalPaidCents paymentCount lastPaymentDate avgDaysLate engagementScore riskScore riskTier riskFactors
  assignedCoordinator lastContactDate version updatedAt`;

export const Q = {
  family: `query Family($id: ID!) { family(id: $id) { ${FAMILY_FIELDS} } }`,
  searchFamilies: `query Search($term: String!, $limit: Int) { searchFamilies(term: $term, limit: $limit) { id familyName status } }`,
  searchFamiliesDefault: `query Search($term: String!) { searchFamilies(term: $term) { id familyName status } }`,
  atRiskFamilies: `query AtRisk($min: Int, $limit: Int) { atRiskFamilies(minRiskScore: $min, limit: $limit) {
    familyId familyName riskScore riskTier riskFactors recommendedIntervention lastContactDate daysSinceContact assignedCoordinator } }`,
  atRiskFamiliesDefault: `{ atRiskFamilies { familyId familyName riskScore } }`,
  familiesByRiskTier: `{ familiesByRiskTier { riskTier families avgEngagement avgRisk } }`,
  paymentAnalytics: `query Analytics($from: Date!, $to: Date!) { paymentAnalytics(from: $from, to: $to) {
    month paymentCount familiesPaid revenueCollectedCents paidOnTime paidLate avgDaysLate methodBreakdown { method count amountCents } } }`,
  familyHistory: `query History($id: ID!) { familyHistory(id: $id) { position version type schemaVersion recordedAt data metadata } }`,
  projections: `{ projections { name position headPosition lag status lastError eventsProcessed updatedAt } }`,
} as const;

/** Valid inputs for each mutation on a family, for tests that only care about the outcome. */
export function validInput(name: MutationName, familyId: string, today: string, n = 0): Record<string, unknown> {
  switch (name) {
    case "enrollFamily":
      return { familyId, familyName: `Family ${n}`, enrollmentDate: today, parentName: "Pat", email: "pat@example.com" };
    case "addChild":
      return { familyId, childName: `Child ${n}`, birthDate: "2018-05-05" };
    case "recordPayment":
      return { familyId, amountCents: 1000 + n, paidOn: today, method: "CARD", transactionId: `tx-${n}-${Math.random()}` };
    case "updateEngagementScore":
      return { familyId, score: 50 };
    case "assessRisk":
      return { familyId, score: 60 };
    case "recordContact":
      return { familyId, method: "PHONE", contactedOn: today };
    case "assignCoordinator":
      return { familyId, coordinator: "Kim" };
    case "withdrawFamily":
      return { familyId, reason: "moved away" };
  }
}
