// Public surface of @coop/domain: the aggregates, their command and event types, and the few
// helpers the gateway, command bus, worker and bench need.
import type { Aggregate } from "./shared/aggregate";
import { coordinatorAggregate } from "./coordinator/coordinator.aggregate";
import { familyAggregate } from "./family/family.aggregate";

export type { JsonValue } from "./shared/json";
export type { DecisionContext, Decision, InvalidInput, NotFound, Refused, Rejection, Validated } from "./shared/decider";
export type { Aggregate, PersonalDataPath, UniqueClaim } from "./shared/aggregate";
import type { StoredEventShape } from "./shared/upcasting";
export type { StoredEventShape } from "./shared/upcasting";
export { isStorableText } from "./shared/validation";
export { ERASED, erasedValue, forEachPersonalValue, mapPersonalData, mapPersonalDataLazily, type LazyOpener } from "./shared/personal-data";

export { familyAggregate } from "./family/family.aggregate";
export type { FamilyCommand, FamilyCommandOf, FamilyCommandType, FamilyEvent, FamilyEventOf, FamilyEventType } from "./family/family.aggregate";
export type { FamilyRefusal } from "./family/family.kit";
export type { FamilyState, FamilyStatus } from "./family/family.state";
export type { ContactMethod, PaymentMethod } from "./family/family.values";
export type { FamilyEnrolledV1, Guardian } from "./family/events/family-enrolled.event";
export { riskTier } from "./family/risk";
export type { RiskTier } from "./family/risk";

export { coordinatorAggregate } from "./coordinator/coordinator.aggregate";
export type { CoordinatorCommand, CoordinatorEvent } from "./coordinator/coordinator.aggregate";
export type { CoordinatorRefusal } from "./coordinator/coordinator.kit";

/** Every aggregate of the domain: the one list the command bus, event store and worker read. */
export const aggregates: readonly Aggregate[] = [familyAggregate, coordinatorAggregate];

const aggregateOfEvent = new Map<string, Aggregate>();
for (const aggregate of aggregates) {
  for (const type of aggregate.eventTypes) {
    const other = aggregateOfEvent.get(type);
    if (other) throw new Error(`event type ${type} belongs to both ${other.streamType} and ${aggregate.streamType}`);
    aggregateOfEvent.set(type, aggregate);
  }
}

/** Every event type of the domain. */
export const domainEventTypes: ReadonlySet<string> = new Set(aggregateOfEvent.keys());

/** The aggregate an event type belongs to, if any. */
export function aggregateOf(eventType: string): Aggregate | undefined {
  return aggregateOfEvent.get(eventType);
}

/** Brings a stored event of any aggregate to its current shape; throws on a type no aggregate knows. */
export function upcastEvent(stored: StoredEventShape): { type: string; data: unknown; schemaVersion: number } {
  const aggregate = aggregateOfEvent.get(stored.type);
  if (!aggregate) throw new Error(`Cannot upcast event: unknown event type "${stored.type}"`);
  return aggregate.upcast(stored);
}

/** The personal fields of a stored event type at a schema version (section 8); none for unknown types. */
export function personalDataOf(eventType: string, schemaVersion?: number): readonly string[] {
  return aggregateOfEvent.get(eventType)?.personalData(eventType, schemaVersion) ?? [];
}

/** Whether appending an event of this type forgets the stream's subject (destroys its data key). */
export function forgetsSubject(eventType: string): boolean {
  return aggregateOfEvent.get(eventType)?.forgetsSubject(eventType) ?? false;
}

/**
 * What the event store needs to know of the domain to keep personal data encrypted at rest: where
 * it sits, which event forgets a stream, and how stored events reach their current shape.
 */
export const personalDataRules = Object.freeze({ personalData: personalDataOf, forgetsSubject, upcast: upcastEvent });

/** The current state schema version of every stream type (older snapshots may hold what is gone). */
export const stateSchemaVersions: Readonly<Record<string, number>> = Object.freeze(Object.fromEntries(aggregates.map((a) => [a.streamType, a.stateSchemaVersion])));
