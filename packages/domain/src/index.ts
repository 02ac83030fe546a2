// Public surface of @coop/domain: only what the gateway, command bus, worker and bench need.
export type { JsonValue } from "./shared/json";
export type { Decider, Decision, DecisionContext, Rejection, Validated } from "./shared/decider";
export { createUpcasterRegistry } from "./shared/upcasting";
export { isStorableText } from "./shared/validation";
export type { StoredEventShape, UpcastStep, UpcastSteps, UpcasterRegistry } from "./shared/upcasting";

export type { ContactMethod, FamilyCommand, FamilyCommandType, PaymentMethod } from "./family/family.commands";
export type { FamilyEnrolledV1, FamilyEvent, FamilyEventType, Guardian } from "./family/family.events";
export type { FamilyState, FamilyStatus } from "./family/family.state";
export { familyDecider } from "./family/family.decider";
export { riskTier } from "./family/risk";
export type { RiskTier } from "./family/risk";
