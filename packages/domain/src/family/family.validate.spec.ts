import { describe, expect, it } from "vitest";
import { addDays } from "../shared/validation";
import type { FamilyCommand } from "./family.commands";
import { familyDecider } from "./family.decider";
import { cmd, CONTEXT, ev, FAMILY_ID, given, TODAY } from "./family.test-kit";

const enrolled = [ev.enrolled()];
const chars = (n: number, c = "a") => c.repeat(n);
const EMOJI = "😀"; // one code point, two UTF-16 units

/** given an enrolled family, when `command`, then InvalidInput on `field`. */
function rejectsField(command: FamilyCommand, field: string): void {
  given(enrolled).when(command).thenRejects({ type: "InvalidInput", field });
}
function accepts(command: FamilyCommand): void {
  const events = command.type === "EnrollFamily" ? [] : enrolled;
  const { decision } = given(events).when(command);
  expect(decision.ok, JSON.stringify(decision)).toBe(true);
}

describe("familyId", () => {
  const builders = [cmd.enroll, cmd.addChild, cmd.recordPayment, cmd.updateEngagementScore, cmd.assessRisk, cmd.recordContact, cmd.assignCoordinator, cmd.withdraw];

  it.each(["", "not-a-uuid", "3f2c1a9e8b7d4c6e9f102a3b4c5d6e7f", "{3f2c1a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f}", ` ${FAMILY_ID}`, "3f2c1a9e-8b7d-4c6e-9f10-2a3b4c5d6e7g", 42, null])(
    "rejects %j on every command",
    (familyId) => {
      for (const build of builders) given([]).when(build({ familyId })).thenRejects({ type: "InvalidInput", field: "familyId" });
    },
  );

  it("accepts any version, in either case", () => {
    accepts(cmd.enroll({ familyId: "00000000-0000-0000-0000-000000000000" }));
    accepts(cmd.enroll({ familyId: FAMILY_ID.toUpperCase() }));
    accepts(cmd.enroll({ familyId: "01890a5d-ac96-774b-bcce-b302099a8057" })); // v7
  });
});

describe("names and free text (trimmed, counted in code points)", () => {
  const cases: [string, number, (v: unknown) => FamilyCommand][] = [
    ["familyName", 200, (v) => cmd.enroll({ familyName: v })],
    ["parentName", 200, (v) => cmd.enroll({ parentName: v })],
    ["childName", 100, (v) => cmd.addChild({ childName: v })],
    ["coordinator", 100, (v) => cmd.assignCoordinator({ coordinator: v })],
    ["reason", 500, (v) => cmd.withdraw({ reason: v })],
    ["transactionId", 100, (v) => cmd.recordPayment({ transactionId: v })],
  ];

  it.each(cases)("%s: 1..%i characters after trimming", (field, max, build) => {
    const reject = (v: unknown) =>
      given(build(v).type === "EnrollFamily" ? [] : enrolled).when(build(v)).thenRejects({ type: "InvalidInput", field });
    reject("");
    reject("   \t\n");
    reject(chars(max + 1));
    reject(chars(max, EMOJI) + "x");
    reject(null);
    reject(7);
    reject("a\u0000b"); // PostgreSQL text cannot hold NUL
    reject("a\ud83d"); // an unpaired surrogate is not Unicode text
    reject("\ude00a");
    accepts(build("a"));
    accepts(build(chars(max)));
    accepts(build(`  ${chars(max)}  `)); // the padding is trimmed away before counting
    accepts(build(chars(max, EMOJI)));
  });

  it("note: at most 500 after trimming, empty becomes null", () => {
    rejectsField(cmd.recordContact({ note: chars(501) }), "note");
    rejectsField(cmd.recordContact({ note: 12 }), "note");
    accepts(cmd.recordContact({ note: chars(500) }));
    accepts(cmd.recordContact({ note: ` ${chars(500, EMOJI)} ` }));
    accepts(cmd.recordContact({ note: null }));
    rejectsField(cmd.recordContact({ note: "x\u0000" }), "note");
    rejectsField(cmd.recordContact({ note: "\ud800" }), "note");
  });
});

describe("email", () => {
  it.each(["", "   ", "plainaddress", "@example.org", "ana@", "ana@example", "ana@@example.org", "ana maria@example.org", "ana@exa mple.org", "ana@.org", "ana@example..org", "ana@example.org.", null])(
    "rejects %j",
    (email) => given([]).when(cmd.enroll({ email })).thenRejects({ type: "InvalidInput", field: "email" }),
  );

  it("rejects NUL and unpaired surrogates", () => {
    for (const email of ["a\u0000@example.org", "a@exam\ud800ple.org"]) {
      given([]).when(cmd.enroll({ email })).thenRejects({ type: "InvalidInput", field: "email" });
    }
  });

  it("rejects more than 254 characters", () => {
    const tooLong = `${chars(64)}@${chars(186)}.org`; // 255
    expect(tooLong.length).toBe(255);
    given([]).when(cmd.enroll({ email: tooLong })).thenRejects({ type: "InvalidInput", field: "email" });
    accepts(cmd.enroll({ email: tooLong.slice(1) }));
  });

  it("accepts ordinary addresses, keeping their case", () => {
    for (const email of ["a@b.co", "Ana.Rivera+coop@Mail.Example.ORG", "o'brien@example.ie"]) {
      expect(given([]).when(cmd.enroll({ email: ` ${email} ` })).decision).toMatchObject({
        ok: true,
        events: [{ data: { guardians: [{ email }] } }],
      });
    }
  });
});

describe("phone", () => {
  it.each(["abc", "555-CALL-NOW", "+-()", "...", "555 0100 ext 2", "555_0100", chars(51, "1"), 5550100])("rejects %j", (phone) =>
    given([]).when(cmd.enroll({ phone })).thenRejects({ type: "InvalidInput", field: "phone" }),
  );

  it("accepts digits with spaces and + - ( ) . up to 50 characters", () => {
    for (const phone of ["5", "+1 (555) 010-2030", "555.010.2030", chars(50, "9"), ` ${chars(50, "9")} `]) accepts(cmd.enroll({ phone }));
  });
});

describe("dates", () => {
  it.each([
    ["enrollmentDate", (v: unknown) => cmd.enroll({ enrollmentDate: v })],
    ["birthDate", (v: unknown) => cmd.addChild({ birthDate: v })],
    ["paidOn", (v: unknown) => cmd.recordPayment({ paidOn: v })],
    ["dueOn", (v: unknown) => cmd.recordPayment({ dueOn: v })],
    ["contactedOn", (v: unknown) => cmd.recordContact({ contactedOn: v })],
  ] as const)("%s must be a real YYYY-MM-DD date", (field, build) => {
    for (const bad of ["2023-02-29", "2024-02-30", "2024-04-31", "2024-13-01", "2024-00-10", "2024-01-00", "2024-1-05", "24-01-05", "2024/01/05", "2024-01-05T00:00:00Z", " 2024-01-05", "", 20240105]) {
      const command = build(bad);
      given(command.type === "EnrollFamily" ? [] : enrolled).when(command).thenRejects({ type: "InvalidInput", field });
    }
    accepts(build("2024-02-29"));
    accepts(build("2000-02-29"));
  });

  it.each([
    ["birthDate", (v: string) => cmd.addChild({ birthDate: v })],
    ["paidOn", (v: string) => cmd.recordPayment({ paidOn: v })],
    ["contactedOn", (v: string) => cmd.recordContact({ contactedOn: v })],
  ] as const)("%s may be today but not tomorrow (UTC)", (field, build) => {
    accepts(build(TODAY));
    accepts(build("1990-01-01"));
    rejectsField(build(addDays(TODAY, 1)), field);
    rejectsField(build("2099-01-01"), field);
  });

  it("dueOn may be any date, or null", () => {
    accepts(cmd.recordPayment({ dueOn: "2099-12-31" }));
    accepts(cmd.recordPayment({ dueOn: "1999-01-01" }));
    accepts(cmd.recordPayment({ dueOn: null }));
    accepts(cmd.recordPayment({ dueOn: undefined }));
  });

  it("enrollmentDate may be 365 days ahead, not 366", () => {
    expect(addDays(TODAY, 365)).toBe("2025-06-15");
    accepts(cmd.enroll({ enrollmentDate: "2025-06-15" }));
    given([]).when(cmd.enroll({ enrollmentDate: "2025-06-16" })).thenRejects({ type: "InvalidInput", field: "enrollmentDate" });
    accepts(cmd.enroll({ enrollmentDate: "1999-09-01" })); // any past date
  });

  it("counts the 365 days across a leap day", () => {
    const context = { today: "2024-01-10" };
    expect(given([]).when(cmd.enroll({ enrollmentDate: "2025-01-09" }), context).decision.ok).toBe(true);
    given([]).when(cmd.enroll({ enrollmentDate: "2025-01-10" }), context).thenRejects({ type: "InvalidInput", field: "enrollmentDate" });
  });

  it("takes today from the context, not the clock", () => {
    const context = { today: "2030-01-01" };
    expect(given(enrolled).when(cmd.addChild({ birthDate: "2029-12-31" }), context).decision.ok).toBe(true);
    given(enrolled).when(cmd.addChild({ birthDate: "2030-01-02" }), context).thenRejects({ type: "InvalidInput", field: "birthDate" });
  });

  it("throws on a malformed context date (a programming error, not user input)", () => {
    expect(() => familyDecider.decide(cmd.addChild(), familyDecider.initialState(), { today: "2024-6-1" })).toThrow(/context\.today/);
  });
});

describe("amountCents", () => {
  it.each([0, -1, 10_000_001, 12.5, Number.NaN, Number.POSITIVE_INFINITY, "100", null])("rejects %j", (amountCents) =>
    rejectsField(cmd.recordPayment({ amountCents }), "amountCents"),
  );
  it.each([1, 10_000_000])("accepts %j", (amountCents) => accepts(cmd.recordPayment({ amountCents })));
});

describe("score", () => {
  const builders = [cmd.updateEngagementScore, cmd.assessRisk];
  it.each([-1, 101, 50.5, "50", null, Number.NaN])("rejects %j", (score) => {
    for (const build of builders) rejectsField(build({ score }), "score");
  });
  it.each([0, 100])("accepts %j", (score) => {
    for (const build of builders) accepts(build({ score }));
  });
});

describe("method", () => {
  it("payment method must be a PaymentMethod", () => {
    for (const method of ["card", "PHONE", "", null]) rejectsField(cmd.recordPayment({ method }), "method");
  });
  it("contact method must be a ContactMethod", () => {
    for (const method of ["phone", "CARD", "", null]) rejectsField(cmd.recordContact({ method }), "method");
    for (const method of ["PHONE", "EMAIL", "VISIT", "MESSAGE"]) accepts(cmd.recordContact({ method }));
  });
});

describe("factors", () => {
  const builders = [cmd.updateEngagementScore, cmd.assessRisk];
  // JSON.stringify("x".repeat(n)) is n + 2 characters long.
  it("accepts any JSON value up to 10,000 serialised characters", () => {
    for (const build of builders) {
      for (const factors of [null, undefined, 0, true, "text", [1, "two", null], { nested: { list: [{ a: 1 }] } }, chars(9_998)]) {
        accepts(build({ factors }));
      }
    }
  });

  it("rejects more than 10,000 serialised characters", () => {
    for (const build of builders) {
      rejectsField(build({ factors: chars(9_999) }), "factors");
      rejectsField(build({ factors: { notes: chars(20_000) } }), "factors");
    }
  });

  it("counts code points", () => {
    accepts(cmd.assessRisk({ factors: chars(9_998, EMOJI) }));
    rejectsField(cmd.assessRisk({ factors: chars(9_999, EMOJI) }), "factors");
  });

  it("accepts nesting up to 64 levels and rejects deeper, without overflowing the stack", () => {
    const nested = (depth: number): unknown => JSON.parse(`${"[".repeat(depth)}${"]".repeat(depth)}`);
    for (const build of builders) {
      accepts(build({ factors: nested(64) }));
      accepts(build({ factors: { a: [{ b: [nested(60)] }] } }));
      rejectsField(build({ factors: nested(65) }), "factors");
      rejectsField(build({ factors: { a: [{ b: [nested(61)] }] } }), "factors");
      // Short enough to pass the length rule: only the depth rule stops it.
      rejectsField(build({ factors: nested(4_011) }), "factors");
      rejectsField(build({ factors: nested(100_000) }), "factors");
    }
  });

  it("rejects text PostgreSQL cannot store, in values and keys", () => {
    for (const factors of ["a\u0000b", ["\ud83d"], { note: "x\ude00" }, { "k\u0000": 1 }, { "\ud800": 1 }, [[{ deep: ["\u0000"] }]]]) {
      rejectsField(cmd.assessRisk({ factors }), "factors");
    }
    accepts(cmd.assessRisk({ factors: { "\u{1F600}": "\u{1F600} \u0001 \u202e" } }));
  });

  it("rejects values that are not JSON", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    rejectsField(cmd.assessRisk({ factors: cyclic }), "factors");
    rejectsField(cmd.assessRisk({ factors: 10n }), "factors");
    rejectsField(cmd.assessRisk({ factors: () => 1 }), "factors");
  });
});

describe("field order: the first bad field (in declaration order) is reported", () => {
  it("EnrollFamily", () => {
    const all = { familyId: "x", familyName: "", enrollmentDate: "2023-02-29", parentName: "", email: "x", phone: "x" };
    const order = ["familyId", "familyName", "enrollmentDate", "parentName", "email", "phone"] as const;
    const good = { familyId: FAMILY_ID, familyName: "Rivera", enrollmentDate: "2024-06-01", parentName: "Ana", email: "a@b.co", phone: null };
    order.forEach((field, i) => {
      const input = { ...good };
      for (const later of order.slice(i)) Object.assign(input, { [later]: all[later] });
      given([]).when(cmd.enroll(input)).thenRejects({ type: "InvalidInput", field });
    });
  });

  it("RecordPayment", () => {
    rejectsField(cmd.recordPayment({ familyId: "x", amountCents: 0 }), "familyId");
    rejectsField(cmd.recordPayment({ amountCents: 0, paidOn: "x" }), "amountCents");
    rejectsField(cmd.recordPayment({ paidOn: "x", dueOn: "x" }), "paidOn");
    rejectsField(cmd.recordPayment({ dueOn: "x", method: "x" }), "dueOn");
    rejectsField(cmd.recordPayment({ method: "x", transactionId: "" }), "method");
  });

  it("the others", () => {
    rejectsField(cmd.addChild({ childName: "", birthDate: "x" }), "childName");
    rejectsField(cmd.assessRisk({ score: -1, factors: chars(20_000) }), "score");
    rejectsField(cmd.recordContact({ method: "x", contactedOn: "x", note: chars(501) }), "method");
    rejectsField(cmd.recordContact({ contactedOn: "x", note: chars(501) }), "contactedOn");
    rejectsField(cmd.assignCoordinator({ familyId: "x", coordinator: "" }), "familyId");
    rejectsField(cmd.withdraw({ familyId: "x", reason: "" }), "familyId");
  });
});

describe("validate alone", () => {
  it("returns the normalised command and ignores state", () => {
    expect(
      familyDecider.validate(
        cmd.recordContact({ familyId: FAMILY_ID, method: "MESSAGE", contactedOn: "2024-06-01", note: "  " }),
        CONTEXT,
      ),
    ).toEqual({
      ok: true,
      command: { type: "RecordContact", payload: { familyId: FAMILY_ID, method: "MESSAGE", contactedOn: "2024-06-01", note: null } },
    });
  });

  it("returns the normalised factors as plain JSON", () => {
    const result = familyDecider.validate(cmd.assessRisk({ factors: { a: undefined, b: [1, undefined] } }), CONTEXT);
    expect(result).toEqual({ ok: true, command: { type: "AssessRisk", payload: { familyId: FAMILY_ID, score: 72, factors: { b: [1, null] } } } });
  });
});
