import { emit } from "../../shared/aggregate";
import { oneOf, optionalTrimmedText, pastOrToday, requireCalendarDate, uuid } from "../../shared/validation";
import { contactRecorded } from "../events/contact-recorded.event";
import { familyCommand, inactiveFamily } from "../family.kit";
import { CONTACT_METHODS, type ContactMethod } from "../family.values";

export interface RecordContactPayload {
  familyId: string;
  method: ContactMethod;
  contactedOn: string;
  note: string | null;
}

const NOTE_MAX = 500;

export const recordContact = familyCommand({
  type: "RecordContact",
  emits: [contactRecorded],
  streamId: (p: RecordContactPayload) => p.familyId,
  validate(p: RecordContactPayload, context) {
    const today = requireCalendarDate(context.today, "context.today");
    const familyId = uuid("familyId", p.familyId);
    if (!familyId.ok) return familyId;
    const method = oneOf("method", p.method, CONTACT_METHODS);
    if (!method.ok) return method;
    const contactedOn = pastOrToday("contactedOn", p.contactedOn, today);
    if (!contactedOn.ok) return contactedOn;
    const note = optionalTrimmedText("note", p.note, NOTE_MAX);
    if (!note.ok) return note;
    return { ok: true, value: { familyId: familyId.value, method: method.value, contactedOn: contactedOn.value.text, note: note.value } };
  },
  decide: (p, state) =>
    inactiveFamily(state, p.familyId) ?? emit(contactRecorded, { method: p.method, contactedOn: p.contactedOn, note: p.note }),
});
