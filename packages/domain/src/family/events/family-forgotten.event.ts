import { copyFamilyState } from "../family.state";
import { familyEvent } from "../family.kit";

/** Nothing: the event itself is the fact (who asked is in its metadata). */
export type FamilyForgottenData = Record<string, never>;

export const familyForgotten = familyEvent({
  type: "FamilyForgotten",
  schemaVersion: 1,
  // Its append destroys the family's data key (CONTRACT section 8): every personal field of the
  // stream reads as erased from then on, wherever it is read.
  forgetsSubject: true,
  evolve(state, _data: FamilyForgottenData) {
    const next = copyFamilyState(state);
    next.status = "Forgotten";
    return next;
  },
});
