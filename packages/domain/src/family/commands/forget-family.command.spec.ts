import { describe, expect, it } from "vitest";
import { cmd, enrolled, ev, FAMILY_ID, fold, given, rejectsField } from "../family.test-kit";

describe("ForgetFamily", () => {
  it("forgets an enrolled family: its status only, nothing personal to keep", () => {
    given(enrolled).when(cmd.forget()).thenEvents([ev.forgotten()]);
    expect(fold([...enrolled, ev.forgotten()])).toMatchObject({ status: "Forgotten", familyId: FAMILY_ID });
  });

  it("forgets a withdrawn family too, and a family only once", () => {
    given([...enrolled, ev.withdrawn()]).when(cmd.forget()).thenEvents([ev.forgotten()]);
    given([...enrolled, ev.forgotten()]).when(cmd.forget()).thenRejects({ type: "Refused", reason: "FAMILY_FORGOTTEN" });
  });

  it("a family never enrolled: NotFound", () => {
    given([]).when(cmd.forget()).thenRejects({ type: "NotFound" });
  });
});

describe("ForgetFamily input", () => {
  it("needs only a family id", () => {
    rejectsField(cmd.forget({ familyId: "nope" }), "familyId");
  });
});
