import { describe, expect, it } from "vitest";
import { commandsOf, defineAggregate, emit, eventsOf } from "./aggregate";

// A toy aggregate: a counter that can be bumped.
type State = { n: number };
const event = eventsOf<State>();
const command = commandsOf<State, "TOO_BIG">();
const bumped = event({ type: "Bumped", schemaVersion: 1, evolve: (s, d: { by: number }) => ({ n: s.n + d.by }) });
const reset = event({ type: "Reset", schemaVersion: 1, evolve: () => ({ n: 0 }) });
const bump = command({
  type: "Bump",
  emits: [bumped],
  streamId: (p: { id: string; by: number }) => p.id,
  validate: (p: { id: string; by: number }) => ({ ok: true, value: p }),
  decide: (p) => emit(bumped, { by: p.by }),
});
const base = { streamType: "Counter", stateSchemaVersion: 1, initialState: () => ({ n: 0 }), isValidState: (s: unknown): s is State => typeof s === "object" };

describe("defineAggregate", () => {
  it("derives the decider from the lists", () => {
    const counter = defineAggregate({ ...base, commands: [bump], events: [bumped, reset] });
    expect(counter.commandTypes).toEqual(["Bump"]);
    expect(counter.eventTypes).toEqual(["Bumped", "Reset"]);
    expect(counter.eventSchemaVersions).toEqual({ Bumped: 1, Reset: 1 });
    const decision = counter.decide({ type: "Bump", payload: { id: "c", by: 2 } }, counter.initialState(), { today: "2024-01-01" });
    expect(decision).toEqual({ ok: true, events: [{ type: "Bumped", data: { by: 2 } }] });
    expect(counter.evolve({ n: 1 }, { type: "Bumped", data: { by: 2 } })).toEqual({ n: 3 });
    expect(counter.claimsOf({ type: "Bump", payload: { id: "c", by: 2 } })).toEqual([]);
  });

  it("refuses a command that emits an event the aggregate does not list", () => {
    // The compiler refuses this too (the commands list requires its events among `events`).
    expect(() => defineAggregate({ ...base, commands: [bump] as never[], events: [reset] })).toThrow(/emits Bumped, which is not among its events/);
  });

  it("refuses a type listed twice", () => {
    expect(() => defineAggregate({ ...base, commands: [bump, bump], events: [bumped] })).toThrow(/command Bump is listed twice/);
    expect(() => defineAggregate({ ...base, commands: [bump], events: [bumped, bumped] })).toThrow(/event Bumped is listed twice/);
  });

  it("refuses upcasting steps outside an event's versions", () => {
    const odd = event({ type: "Bumped", schemaVersion: 2, upcasters: { 2: (d) => d }, evolve: (s) => s });
    expect(() => defineAggregate({ ...base, commands: [], events: [odd] })).toThrow(/outside 1\.\.1/);
  });
});
