import { emit, refuse } from "../../shared/aggregate";
import { calendarDate, email, invalid, phone, requireCalendarDate, trimmedText, uuid } from "../../shared/validation";
import { familyEnrolled } from "../events/family-enrolled.event";
import { familyCommand, forgottenFamily } from "../family.kit";

export interface EnrollFamilyPayload {
  familyId: string;
  familyName: string;
  enrollmentDate: string;
  parentName: string;
  email: string;
  phone: string | null;
}

const NAME_MAX = 200;
const ENROLLMENT_MAX_DAYS_AHEAD = 365;

export const enrollFamily = familyCommand({
  type: "EnrollFamily",
  emits: [familyEnrolled],
  streamId: (p: EnrollFamilyPayload) => p.familyId,
  // Fields are checked in declaration order: the first bad one is reported.
  validate(p: EnrollFamilyPayload, context) {
    const today = requireCalendarDate(context.today, "context.today");
    const familyId = uuid("familyId", p.familyId);
    if (!familyId.ok) return familyId;
    const familyName = trimmedText("familyName", p.familyName, 1, NAME_MAX);
    if (!familyName.ok) return familyName;
    const enrollmentDate = calendarDate("enrollmentDate", p.enrollmentDate);
    if (!enrollmentDate.ok) return enrollmentDate;
    if (enrollmentDate.value.day - today > ENROLLMENT_MAX_DAYS_AHEAD) {
      return invalid("enrollmentDate", `enrollmentDate must be at most ${ENROLLMENT_MAX_DAYS_AHEAD} days after today`);
    }
    const parentName = trimmedText("parentName", p.parentName, 1, NAME_MAX);
    if (!parentName.ok) return parentName;
    const mail = email("email", p.email);
    if (!mail.ok) return mail;
    const tel = phone("phone", p.phone);
    if (!tel.ok) return tel;
    return {
      ok: true,
      value: {
        familyId: familyId.value,
        familyName: familyName.value,
        enrollmentDate: enrollmentDate.value.text,
        parentName: parentName.value,
        email: mail.value,
        phone: tel.value,
      },
    };
  },
  // Enrolling an existing family, withdrawn or not, is refused; a forgotten one says so first.
  decide(p, state) {
    if (state.status === "Forgotten") return forgottenFamily(p.familyId);
    if (state.status !== "None") return refuse("ALREADY_ENROLLED", `Family ${p.familyId} is already enrolled`);
    return emit(familyEnrolled, {
      familyId: p.familyId,
      familyName: p.familyName,
      enrollmentDate: p.enrollmentDate,
      guardians: [{ name: p.parentName, email: p.email, phone: p.phone }],
    });
  },
});
