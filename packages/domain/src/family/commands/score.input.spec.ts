// The score input, as both commands that take it see it.
import { describe, it } from "vitest";
import { accepts, chars, cmd, EMOJI, rejectsField } from "../family.test-kit";

const builders = [cmd.updateEngagementScore, cmd.assessRisk];

describe("score", () => {
  it.each([-1, 101, 50.5, "50", null, Number.NaN])("rejects %j", (score) => {
    for (const build of builders) rejectsField(build({ score }), "score");
  });
  it.each([0, 100])("accepts %j", (score) => {
    for (const build of builders) accepts(build({ score }));
  });
});

describe("factors", () => {
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

  it("reports the score before the factors", () => {
    rejectsField(cmd.assessRisk({ score: -1, factors: chars(20_000) }), "score");
  });
});
