import { describe, expect, it } from "vitest";
import { addDays } from "../../shared/validation";
import { familyAggregate } from "../family.aggregate";
import { accepts, checkCalendarDate, checkRequiredText, cmd, enrolled, ev, given, rejectsField, TODAY } from "../family.test-kit";

describe("AddChild", () => {
  it("adds a child", () => {
    given(enrolled)
      .when(cmd.addChild({ childName: "  Leo ", birthDate: "2018-03-04" }))
      .thenEvents([{ type: "ChildAdded", data: { childName: "Leo", birthDate: "2018-03-04" } }]);
  });

  it("accepts a child born today", () => {
    given(enrolled)
      .when(cmd.addChild({ birthDate: "2024-06-15" }))
      .thenEvents([{ type: "ChildAdded", data: { childName: "Leo", birthDate: "2024-06-15" } }]);
  });

  it("reports invalid input even on a withdrawn family", () => {
    given([...enrolled, ev.withdrawn()]).when(cmd.addChild({ childName: " " })).thenRejects({ type: "InvalidInput", field: "childName" });
  });
});

describe("AddChild input", () => {
  it("childName: 1..100 characters after trimming", () => {
    checkRequiredText("childName", 100, (v) => cmd.addChild({ childName: v }));
  });

  it("birthDate: a real date, today at the latest (UTC)", () => {
    checkCalendarDate("birthDate", (v) => cmd.addChild({ birthDate: v }));
    accepts(cmd.addChild({ birthDate: TODAY }));
    accepts(cmd.addChild({ birthDate: "1990-01-01" }));
    rejectsField(cmd.addChild({ birthDate: addDays(TODAY, 1) }), "birthDate");
    rejectsField(cmd.addChild({ birthDate: "2099-01-01" }), "birthDate");
  });

  it("takes today from the context, not the clock", () => {
    const context = { today: "2030-01-01" };
    expect(given(enrolled).when(cmd.addChild({ birthDate: "2029-12-31" }), context).decision.ok).toBe(true);
    given(enrolled).when(cmd.addChild({ birthDate: "2030-01-02" }), context).thenRejects({ type: "InvalidInput", field: "birthDate" });
  });

  it("throws on a malformed context date (a programming error, not user input)", () => {
    expect(() => familyAggregate.decide(cmd.addChild(), familyAggregate.initialState(), { today: "2024-6-1" })).toThrow(/context\.today/);
  });

  it("reports the first bad field", () => {
    rejectsField(cmd.addChild({ childName: "", birthDate: "x" }), "childName");
  });
});
