// What every Family command and event module builds on: the builders fixed to the Family's state
// and refusal reasons, and the rule that every command but enrolment needs an active family.
import { commandsOf, eventsOf, notFound, refuse } from "../shared/aggregate";
import type { NotFound, Refused } from "../shared/decider";
import type { FamilyState } from "./family.state";

/** Why a Family command can be refused (CONFLICT, `reason`). */
export type FamilyRefusal = "ALREADY_ENROLLED" | "FAMILY_WITHDRAWN" | "FAMILY_FORGOTTEN" | "DUPLICATE_TRANSACTION";

export const familyEvent = eventsOf<FamilyState>();
export const familyCommand = commandsOf<FamilyState, FamilyRefusal>();

/**
 * Null when the family exists and is enrolled; otherwise why a command on it is refused: never
 * enrolled is NOT_FOUND, withdrawn is FAMILY_WITHDRAWN, forgotten is FAMILY_FORGOTTEN. Checked
 * before a command's own rules.
 */
export function inactiveFamily(state: FamilyState, familyId: string): { ok: false; rejection: NotFound | Refused<FamilyRefusal> } | null {
  switch (state.status) {
    case "Enrolled":
      return null;
    case "None":
      return notFound(`Family ${familyId} not found`);
    case "Withdrawn":
      return refuse("FAMILY_WITHDRAWN", `Family ${familyId} has been withdrawn`);
    case "Forgotten":
      return forgottenFamily(familyId);
  }
}

/** A forgotten family takes no command at all, enrolment and forgetting included. */
export function forgottenFamily(familyId: string): { ok: false; rejection: Refused<FamilyRefusal> } {
  return refuse("FAMILY_FORGOTTEN", `Family ${familyId} has been forgotten`);
}
