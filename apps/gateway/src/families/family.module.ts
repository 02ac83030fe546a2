// The families feature: enrolment and everything recorded about a family, and the queries on the
// family read models.
import { ADMIN, ANY_ROLE, COORDINATION, FINANCE } from "../auth/access";
import { defineModule, EVENT_STORE } from "../graphql/module";
import { FamilySubscriptionsResolver } from "./family-subscriptions.resolver";
import { FamilyResolver } from "./family.resolver";
import { ReceiptFamilyResolver } from "./receipt-family.resolver";

export const familiesModule = defineModule({
  name: "families",
  resolvers: [FamilyResolver, ReceiptFamilyResolver, FamilySubscriptionsResolver],
  Query: {
    // With asOf, the family is folded from its events instead (no read model involved).
    family: { roles: ANY_ROLE, reads: ["family-detail"] },
    searchFamilies: { roles: ANY_ROLE, reads: ["family-detail"] },
    atRiskFamilies: { roles: COORDINATION, reads: ["at-risk"] },
    familiesByRiskTier: { roles: COORDINATION, reads: ["family-detail"] },
    paymentAnalytics: { roles: FINANCE, reads: ["payment-analytics"] },
    familyHistory: { roles: COORDINATION, reads: [EVENT_STORE] },
  },
  Mutation: {
    enrollFamily: { roles: COORDINATION },
    addChild: { roles: COORDINATION },
    recordPayment: { roles: FINANCE },
    updateEngagementScore: { roles: COORDINATION },
    assessRisk: { roles: COORDINATION },
    recordContact: { roles: COORDINATION },
    assignCoordinator: { roles: COORDINATION },
    withdrawFamily: { roles: COORDINATION },
    forgetFamily: { roles: ADMIN },
  },
  Subscription: {
    // Role rules of the matching queries (CONTRACT section 6): family, and the coordinators' views.
    familyChanged: { roles: ANY_ROLE, reads: ["family-detail"] },
    // Pushed from the family read model's change announcements.
    tenantActivity: { roles: COORDINATION, reads: ["family-detail"] },
  },
  fields: {
    // Reads the family read model (it waits for the family's own row to reach the receipt's version).
    "CommandReceipt.family": { reads: ["family-detail"] },
  },
});
