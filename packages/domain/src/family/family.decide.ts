import { assertNever } from "../shared/assert-never";
import type { Decision, DecisionContext } from "../shared/decider";
import type { FamilyCommand } from "./family.commands";
import type { FamilyEvent } from "./family.events";
import { hasTransactionId, type FamilyState } from "./family.state";
import { validateFamilyCommand } from "./family.validate";
import { riskTier } from "./risk";

function emit(event: FamilyEvent): Decision<FamilyEvent> {
  return { ok: true, events: [event] };
}

/**
 * Validation first (bad input is reported even on a missing or withdrawn family), then
 * existence, then withdrawal, then the command's own rules. Every accepted command emits
 * exactly one event.
 */
export function decideFamily(input: FamilyCommand, state: FamilyState, context: DecisionContext): Decision<FamilyEvent> {
  const validated = validateFamilyCommand(input, context);
  if (!validated.ok) return validated;
  const command = validated.command;
  const familyId = command.payload.familyId;

  if (command.type === "EnrollFamily") {
    if (state.status !== "None") {
      return {
        ok: false,
        rejection: { type: "Refused", reason: "ALREADY_ENROLLED", message: `Family ${familyId} is already enrolled` },
      };
    }
    const p = command.payload;
    return emit({
      type: "FamilyEnrolled",
      data: {
        familyId: p.familyId,
        familyName: p.familyName,
        enrollmentDate: p.enrollmentDate,
        guardians: [{ name: p.parentName, email: p.email, phone: p.phone }],
      },
    });
  }

  if (state.status === "None") {
    return { ok: false, rejection: { type: "NotFound", message: `Family ${familyId} not found` } };
  }
  if (state.status === "Withdrawn") {
    return {
      ok: false,
      rejection: { type: "Refused", reason: "FAMILY_WITHDRAWN", message: `Family ${familyId} has been withdrawn` },
    };
  }

  switch (command.type) {
    case "AddChild":
      return emit({ type: "ChildAdded", data: { childName: command.payload.childName, birthDate: command.payload.birthDate } });
    case "RecordPayment": {
      const p = command.payload;
      if (hasTransactionId(state, p.transactionId)) {
        return {
          ok: false,
          rejection: {
            type: "Refused",
            reason: "DUPLICATE_TRANSACTION",
            message: `Transaction ${p.transactionId} is already recorded for family ${familyId}`,
          },
        };
      }
      return emit({
        type: "PaymentReceived",
        data: { amountCents: p.amountCents, paidOn: p.paidOn, dueOn: p.dueOn, method: p.method, transactionId: p.transactionId },
      });
    }
    case "UpdateEngagementScore":
      return emit({
        type: "EngagementScoreUpdated",
        data: { score: command.payload.score, previousScore: state.engagementScore, factors: command.payload.factors },
      });
    case "AssessRisk":
      return emit({
        type: "RiskAssessed",
        data: {
          score: command.payload.score,
          tier: riskTier(command.payload.score),
          previousScore: state.riskScore,
          factors: command.payload.factors,
        },
      });
    case "RecordContact":
      return emit({
        type: "ContactRecorded",
        data: { method: command.payload.method, contactedOn: command.payload.contactedOn, note: command.payload.note },
      });
    case "AssignCoordinator":
      return emit({
        type: "CoordinatorAssigned",
        data: { coordinator: command.payload.coordinator, previousCoordinator: state.coordinator },
      });
    case "WithdrawFamily":
      return emit({ type: "FamilyWithdrawn", data: { reason: command.payload.reason } });
    default:
      return assertNever(command, "family command");
  }
}
