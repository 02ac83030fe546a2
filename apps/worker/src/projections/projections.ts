import { atRiskProjection } from "./at-risk.projection";
import { coordinatorCaseloadProjection } from "./coordinator-caseload.projection";
import { familyCommentsProjection } from "./family-comments.projection";
import { familyDetailProjection } from "./family-detail.projection";
import { paymentAnalyticsProjection } from "./payment-analytics.projection";
import type { ProjectionDefinition } from "./types";

/**
 * Every projection the worker runs, listed explicitly (no discovery by file name), and checked
 * at start-up by runtime/registry.ts. Adding a read model means adding one file and one line here.
 */
export const projections: readonly ProjectionDefinition[] = [
  familyDetailProjection,
  atRiskProjection,
  paymentAnalyticsProjection,
  familyCommentsProjection,
  coordinatorCaseloadProjection,
];
