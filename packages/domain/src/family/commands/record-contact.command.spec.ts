import { describe, it } from "vitest";
import { addDays } from "../../shared/validation";
import { accepts, chars, checkCalendarDate, cmd, EMOJI, enrolled, given, rejectsField, TODAY } from "../family.test-kit";

describe("RecordContact", () => {
  it("records a contact with a trimmed note", () => {
    given(enrolled)
      .when(cmd.recordContact({ method: "VISIT", contactedOn: "2024-06-15", note: "  Home visit " }))
      .thenEvents([{ type: "ContactRecorded", data: { method: "VISIT", contactedOn: "2024-06-15", note: "Home visit" } }]);
  });

  it("stores an empty or missing note as null", () => {
    for (const note of ["", "   ", null, undefined]) {
      given(enrolled)
        .when(cmd.recordContact({ method: "EMAIL", note }))
        .thenEvents([{ type: "ContactRecorded", data: { method: "EMAIL", contactedOn: "2024-06-14", note: null } }]);
    }
  });
});

describe("RecordContact input", () => {
  it("note: at most 500 after trimming, empty becomes null", () => {
    rejectsField(cmd.recordContact({ note: chars(501) }), "note");
    rejectsField(cmd.recordContact({ note: 12 }), "note");
    accepts(cmd.recordContact({ note: chars(500) }));
    accepts(cmd.recordContact({ note: ` ${chars(500, EMOJI)} ` }));
    accepts(cmd.recordContact({ note: null }));
    rejectsField(cmd.recordContact({ note: "x\u0000" }), "note");
    rejectsField(cmd.recordContact({ note: "\ud800" }), "note");
  });

  it("method must be a ContactMethod", () => {
    for (const method of ["phone", "CARD", "", null]) rejectsField(cmd.recordContact({ method }), "method");
    for (const method of ["PHONE", "EMAIL", "VISIT", "MESSAGE"]) accepts(cmd.recordContact({ method }));
  });

  it("contactedOn: a real date, today at the latest (UTC)", () => {
    checkCalendarDate("contactedOn", (v) => cmd.recordContact({ contactedOn: v }));
    accepts(cmd.recordContact({ contactedOn: TODAY }));
    rejectsField(cmd.recordContact({ contactedOn: addDays(TODAY, 1) }), "contactedOn");
  });

  it("reports the first bad field, in declaration order", () => {
    rejectsField(cmd.recordContact({ method: "x", contactedOn: "x", note: chars(501) }), "method");
    rejectsField(cmd.recordContact({ contactedOn: "x", note: chars(501) }), "contactedOn");
  });
});
