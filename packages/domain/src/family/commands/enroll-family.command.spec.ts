import { describe, expect, it } from "vitest";
import { addDays } from "../../shared/validation";
import { accepts, chars, checkCalendarDate, checkRequiredText, cmd, enrolled, ev, FAMILY_ID, given, rejectsField, TODAY } from "../family.test-kit";

describe("EnrollFamily", () => {
  it("enrolls a new family with the parent as its one guardian", () => {
    given([]).when(cmd.enroll()).thenEvents([
      {
        type: "FamilyEnrolled",
        data: {
          familyId: FAMILY_ID,
          familyName: "Rivera",
          enrollmentDate: "2024-06-01",
          guardians: [{ name: "Ana Rivera", email: "ana@example.org", phone: "+1 (555) 010-2030" }],
        },
      },
    ]);
  });

  it("writes trimmed values and a null phone when none is given", () => {
    given([])
      .when(cmd.enroll({ familyName: "  Rivera ", parentName: "\tAna Rivera\n", email: " Ana@Example.org ", phone: "   " }))
      .thenEvents([
        {
          type: "FamilyEnrolled",
          data: {
            familyId: FAMILY_ID,
            familyName: "Rivera",
            enrollmentDate: "2024-06-01",
            guardians: [{ name: "Ana Rivera", email: "Ana@Example.org", phone: null }],
          },
        },
      ]);
    expect(given([]).when(cmd.enroll({ phone: null })).decision).toMatchObject({
      ok: true,
      events: [{ data: { guardians: [{ phone: null }] } }],
    });
  });

  it("refuses an enrolled family", () => {
    given(enrolled).when(cmd.enroll()).thenRejects({ type: "Refused", reason: "ALREADY_ENROLLED" });
  });

  it("refuses a withdrawn family too", () => {
    given([...enrolled, ev.withdrawn()]).when(cmd.enroll()).thenRejects({ type: "Refused", reason: "ALREADY_ENROLLED" });
  });

  it("reports invalid input before re-enrolment", () => {
    given(enrolled).when(cmd.enroll({ email: "nope" })).thenRejects({ type: "InvalidInput", field: "email" });
  });
});

describe("EnrollFamily input", () => {
  it("familyName and parentName: 1..200 characters after trimming", () => {
    checkRequiredText("familyName", 200, (v) => cmd.enroll({ familyName: v }));
    checkRequiredText("parentName", 200, (v) => cmd.enroll({ parentName: v }));
  });

  it.each(["", "   ", "plainaddress", "@example.org", "ana@", "ana@example", "ana@@example.org", "ana maria@example.org", "ana@exa mple.org", "ana@.org", "ana@example..org", "ana@example.org.", null])(
    "email: rejects %j",
    (email) => rejectsField(cmd.enroll({ email }), "email"),
  );

  it("email: rejects NUL and unpaired surrogates", () => {
    for (const email of ["a\u0000@example.org", "a@exam\ud800ple.org"]) rejectsField(cmd.enroll({ email }), "email");
  });

  it("email: rejects more than 254 characters", () => {
    const tooLong = `${chars(64)}@${chars(186)}.org`; // 255
    expect(tooLong.length).toBe(255);
    rejectsField(cmd.enroll({ email: tooLong }), "email");
    accepts(cmd.enroll({ email: tooLong.slice(1) }));
  });

  it("email: accepts ordinary addresses, keeping their case", () => {
    for (const email of ["a@b.co", "Ana.Rivera+coop@Mail.Example.ORG", "o'brien@example.ie"]) {
      expect(given([]).when(cmd.enroll({ email: ` ${email} ` })).decision).toMatchObject({
        ok: true,
        events: [{ data: { guardians: [{ email }] } }],
      });
    }
  });

  it.each(["abc", "555-CALL-NOW", "+-()", "...", "555 0100 ext 2", "555_0100", chars(51, "1"), 5550100])("phone: rejects %j", (phone) =>
    rejectsField(cmd.enroll({ phone }), "phone"),
  );

  it("phone: accepts digits with spaces and + - ( ) . up to 50 characters", () => {
    for (const phone of ["5", "+1 (555) 010-2030", "555.010.2030", chars(50, "9"), ` ${chars(50, "9")} `]) accepts(cmd.enroll({ phone }));
  });

  it("enrollmentDate must be a real YYYY-MM-DD date", () => {
    checkCalendarDate("enrollmentDate", (v) => cmd.enroll({ enrollmentDate: v }));
  });

  it("enrollmentDate may be 365 days ahead, not 366", () => {
    expect(addDays(TODAY, 365)).toBe("2025-06-15");
    accepts(cmd.enroll({ enrollmentDate: "2025-06-15" }));
    rejectsField(cmd.enroll({ enrollmentDate: "2025-06-16" }), "enrollmentDate");
    accepts(cmd.enroll({ enrollmentDate: "1999-09-01" })); // any past date
  });

  it("counts the 365 days across a leap day", () => {
    const context = { today: "2024-01-10" };
    expect(given([]).when(cmd.enroll({ enrollmentDate: "2025-01-09" }), context).decision.ok).toBe(true);
    given([]).when(cmd.enroll({ enrollmentDate: "2025-01-10" }), context).thenRejects({ type: "InvalidInput", field: "enrollmentDate" });
  });

  it("reports the first bad field, in declaration order", () => {
    const all = { familyId: "x", familyName: "", enrollmentDate: "2023-02-29", parentName: "", email: "x", phone: "x" };
    const order = ["familyId", "familyName", "enrollmentDate", "parentName", "email", "phone"] as const;
    const good = { familyId: FAMILY_ID, familyName: "Rivera", enrollmentDate: "2024-06-01", parentName: "Ana", email: "a@b.co", phone: null };
    order.forEach((field, i) => {
      const input = { ...good };
      for (const later of order.slice(i)) Object.assign(input, { [later]: all[later] });
      rejectsField(cmd.enroll(input), field);
    });
  });
});
