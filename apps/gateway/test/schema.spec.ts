// The committed schema.graphql is what the code serves, and the served schema is the contract's,
// as the modules' test kits pin it.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { isEnumType, isInputObjectType, isObjectType, print, astFromValue, type GraphQLField, type GraphQLInputField, type GraphQLArgument } from "graphql";
import { describe, expect, it } from "vitest";
import { checkModules } from "../src/graphql/module";
import { gatewaySchema, printGatewaySchema } from "../src/graphql/schema";
import { modules } from "../src/modules";
import { kits } from "./support/operations";

const SCHEMA_FILE = fileURLToPath(new URL("../schema.graphql", import.meta.url));

describe("schema.graphql", () => {
  it("matches the code", () => {
    const committed = readFileSync(SCHEMA_FILE, "utf8");
    const generated = printGatewaySchema();
    if (committed !== generated) {
      throw new Error("apps/gateway/schema.graphql is out of date with the code: run `pnpm --filter @coop/gateway run schema` and commit the result");
    }
  });

  it("every operation has an access rule, every query field its reads (checked at start-up too)", () => {
    expect(() => checkModules(gatewaySchema(), modules)).not.toThrow();
  });
});

function argText(a: GraphQLArgument | GraphQLInputField): string {
  const defaultValue = a.defaultValue === undefined ? "" : ` = ${print(astFromValue(a.defaultValue, a.type)!)}`;
  return `${a.name}: ${a.type.toString()}${defaultValue}`;
}
function fieldText(f: GraphQLField<unknown, unknown>): string {
  return `${f.name}${f.args.length ? `(${f.args.map(argText).join(", ")})` : ""}: ${f.type.toString()}`;
}

/** The receipt every module's mutations answer (src/graphql/command-receipt.ts). */
const SHARED: Record<string, string[]> = {
  CommandReceipt: ["commandId: ID!", "streamId: ID!", "version: Int!", "position: String!", "events: [String!]!"],
};

/** The contract, field by field, from every module's kit: a type extended by several modules lists their fields in kit order. */
const CONTRACT: Record<string, string[]> = { ...SHARED };
for (const kit of kits) {
  for (const [typeName, fields] of Object.entries(kit.contract)) CONTRACT[typeName] = [...(CONTRACT[typeName] ?? []), ...fields];
}
const ENUMS: Record<string, readonly string[]> = Object.assign({}, ...kits.map((kit) => kit.enums ?? {}));
const ROOTS = new Set(["Query", "Mutation", "Subscription"]);

describe("every module has a test kit", () => {
  it("one kit per module of src/modules.ts", () => {
    expect(kits.map((k) => k.module).sort()).toEqual(modules.map((m) => m.name).sort());
  });

  it("each kit's roles are the access rules its module declares", () => {
    for (const kit of kits) {
      const module = modules.find((m) => m.name === kit.module)!;
      const declared = Object.fromEntries(
        Object.entries({ ...module.Query, ...module.Mutation, ...module.Subscription }).map(([field, rule]) => [field, [...rule.roles].sort()]),
      );
      const expected = Object.fromEntries(Object.entries({ ...kit.queries, ...kit.mutations, ...kit.subscriptions }).map(([field, c]) => [field, [...c.roles].sort()]));
      expect(declared, kit.module).toEqual(expected);
    }
  });
});

describe("the served schema is the contract's (CONTRACT sections 3 and 11)", () => {
  const schema = gatewaySchema();
  for (const [typeName, fields] of Object.entries(CONTRACT)) {
    it(typeName, () => {
      const type = schema.getType(typeName);
      // Root fields come in the order their resolvers were loaded; every other type in declaration order.
      const order = (list: string[]) => (ROOTS.has(typeName) ? [...list].sort() : list);
      if (isObjectType(type)) expect(order(Object.values(type.getFields()).map(fieldText))).toEqual(order(fields));
      else if (isInputObjectType(type)) expect(Object.values(type.getFields()).map(argText)).toEqual(fields);
      else throw new Error(`${typeName} is missing`);
    });
  }

  it("every object and input type of the schema is pinned by a kit", () => {
    const types = Object.values(schema.getTypeMap()).filter((t) => !t.name.startsWith("__") && (isObjectType(t) || isInputObjectType(t)));
    expect(types.map((t) => t.name).filter((name) => !CONTRACT[name])).toEqual([]);
  });

  it("enums, and the Date, DateTime, JSON and SafeInt scalars", () => {
    for (const [name, values] of Object.entries(ENUMS)) {
      const type = schema.getType(name);
      expect(isEnumType(type) && type.getValues().map((v) => v.name), name).toEqual(values);
    }
    const enums = Object.values(schema.getTypeMap()).filter((t) => !t.name.startsWith("__") && isEnumType(t));
    expect(enums.map((t) => t.name).sort()).toEqual(Object.keys(ENUMS).sort());
    for (const name of ["Date", "DateTime", "JSON", "SafeInt"]) expect(schema.getType(name)?.toString()).toBe(name);
  });
});
