import type { Decider } from "../shared/decider";
import { FAMILY_COMMAND_TYPES, type FamilyCommand } from "./family.commands";
import { decideFamily } from "./family.decide";
import { FAMILY_EVENT_SCHEMA_VERSIONS, type FamilyEvent } from "./family.events";
import { evolveFamily } from "./family.evolve";
import { initialFamilyState, type FamilyState } from "./family.state";
import { familyUpcasters } from "./family.upcasters";
import { validateFamilyCommand } from "./family.validate";

export const familyDecider: Decider<FamilyCommand, FamilyEvent, FamilyState> = Object.freeze({
  streamType: "Family",
  // Bump whenever FamilyState's shape (or its transaction-id bucketing) changes.
  stateSchemaVersion: 1,
  eventSchemaVersions: FAMILY_EVENT_SCHEMA_VERSIONS,
  commandTypes: FAMILY_COMMAND_TYPES,
  initialState: initialFamilyState,
  validate: validateFamilyCommand,
  decide: decideFamily,
  evolve: evolveFamily,
  upcast: familyUpcasters.upcast,
});
