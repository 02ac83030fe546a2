// The Family aggregate: its commands and events, one module each. Adding a command or an event
// is its module and one line in the list below.
import { defineAggregate, type CommandOf, type EventOf } from "../shared/aggregate";
import { addChild } from "./commands/add-child.command";
import { addComment } from "./commands/add-comment.command";
import { assessRisk } from "./commands/assess-risk.command";
import { assignCoordinator } from "./commands/assign-coordinator.command";
import { enrollFamily } from "./commands/enroll-family.command";
import { forgetFamily } from "./commands/forget-family.command";
import { recordContact } from "./commands/record-contact.command";
import { recordPayment } from "./commands/record-payment.command";
import { updateEngagementScore } from "./commands/update-engagement-score.command";
import { withdrawFamily } from "./commands/withdraw-family.command";
import { childAdded } from "./events/child-added.event";
import { commentAdded } from "./events/comment-added.event";
import { contactRecorded } from "./events/contact-recorded.event";
import { coordinatorAssigned } from "./events/coordinator-assigned.event";
import { engagementScoreUpdated } from "./events/engagement-score-updated.event";
import { familyEnrolled } from "./events/family-enrolled.event";
import { familyForgotten } from "./events/family-forgotten.event";
import { familyWithdrawn } from "./events/family-withdrawn.event";
import { paymentReceived } from "./events/payment-received.event";
import { riskAssessed } from "./events/risk-assessed.event";
import type { FamilyRefusal } from "./family.kit";
import { initialFamilyState, isValidFamilyState, type FamilyState } from "./family.state";

const commands = [enrollFamily, addChild, recordPayment, updateEngagementScore, assessRisk, recordContact, assignCoordinator, withdrawFamily, addComment, forgetFamily];

const events = [familyEnrolled, childAdded, paymentReceived, engagementScoreUpdated, riskAssessed, contactRecorded, coordinatorAssigned, familyWithdrawn, commentAdded, familyForgotten];

export type FamilyCommand = CommandOf<(typeof commands)[number]>;
export type FamilyEvent = EventOf<(typeof events)[number]>;
export type FamilyCommandType = FamilyCommand["type"];
export type FamilyEventType = FamilyEvent["type"];
/** The command of one type, e.g. `FamilyCommandOf<"AddChild">`. */
export type FamilyCommandOf<T extends FamilyCommandType> = Extract<FamilyCommand, { type: T }>;
/** The event of one type, e.g. `FamilyEventOf<"ChildAdded">`. */
export type FamilyEventOf<T extends FamilyEventType> = Extract<FamilyEvent, { type: T }>;

export const familyAggregate = defineAggregate<FamilyState, FamilyRefusal, (typeof commands)[number], (typeof events)[number]>({
  streamType: "Family",
  // Bump whenever FamilyState's shape (or its transaction-id bucketing) changes.
  // v2: the family's name left the state (personal data stays out of snapshots).
  stateSchemaVersion: 2,
  initialState: initialFamilyState,
  isValidState: isValidFamilyState,
  commands,
  events,
});
