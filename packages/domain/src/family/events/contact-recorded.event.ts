import type { ContactMethod } from "../family.values";
import { familyEvent } from "../family.kit";

export interface ContactRecordedData {
  method: ContactMethod;
  contactedOn: string;
  note: string | null;
}

export const contactRecorded = familyEvent({
  type: "ContactRecorded",
  schemaVersion: 1,
  personalData: ["note"],
  evolve: (state, _data: ContactRecordedData) => state, // nothing decide needs
});
