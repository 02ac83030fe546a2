import { assertNever } from "../shared/assert-never";
import type { FamilyEvent } from "./family.events";
import { copyFamilyState, withTransactionId, type FamilyState } from "./family.state";

/**
 * Pure and O(1)-ish per event: it runs for every event of a stream on each cold load.
 * `state` is never mutated; each case writes only to its own fresh shallow copy, and a
 * payment copies the outer bucket array and the one bucket it touches, nothing else.
 */
export function evolveFamily(state: FamilyState, event: FamilyEvent): FamilyState {
  switch (event.type) {
    case "FamilyEnrolled": {
      const next = copyFamilyState(state);
      next.status = "Enrolled";
      next.familyId = event.data.familyId;
      next.familyName = event.data.familyName;
      return next;
    }
    case "ChildAdded": {
      const next = copyFamilyState(state);
      next.childrenCount = state.childrenCount + 1;
      return next;
    }
    case "PaymentReceived": {
      const next = copyFamilyState(state);
      next.paymentCount = state.paymentCount + 1;
      next.paymentTransactionIds = withTransactionId(state.paymentTransactionIds, event.data.transactionId);
      return next;
    }
    case "EngagementScoreUpdated": {
      const next = copyFamilyState(state);
      next.engagementScore = event.data.score;
      return next;
    }
    case "RiskAssessed": {
      const next = copyFamilyState(state);
      next.riskScore = event.data.score;
      return next;
    }
    case "ContactRecorded":
      return state; // nothing decide needs
    case "CoordinatorAssigned": {
      const next = copyFamilyState(state);
      next.coordinator = event.data.coordinator;
      return next;
    }
    case "FamilyWithdrawn": {
      const next = copyFamilyState(state);
      next.status = "Withdrawn";
      return next;
    }
    default:
      return assertNever(event, "family event");
  }
}
