// The README's graphql-codegen config, run offline over the committed SDL and sample operations:
// the client preset's files come out, with every custom scalar mapped (strictScalars), and they
// compile together with code that uses them. The codegen CLI itself is the frontend's tool (its
// current versions need Node 22); this runs the same preset through @graphql-codegen/core.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { codegen } from "@graphql-codegen/core";
import { preset } from "@graphql-codegen/client-preset";
import { buildSchema, parse } from "graphql";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);
const GATEWAY = fileURLToPath(new URL("..", import.meta.url));
const README = readFileSync(fileURLToPath(new URL("../../../README.md", import.meta.url)), "utf8");
const SDL = readFileSync(join(GATEWAY, "schema.graphql"), "utf8");
const OUT = join(GATEWAY, "node_modules/.cache/codegen-test");

/** The README's codegen.ts, and the parts of it this test runs. */
function readmeConfig() {
  const block = /```ts\n(\/\/ codegen\.ts[\s\S]*?)```/.exec(README)?.[1];
  if (!block) throw new Error("README.md has no ```ts block starting with // codegen.ts");
  const scalars = /scalars: (\{[^}]*\})/.exec(block)?.[1];
  if (!scalars) throw new Error("the README's codegen.ts maps no scalars");
  return {
    block,
    output: /generates: \{\s*"([^"]+)"/.exec(block)?.[1],
    config: {
      strictScalars: /strictScalars: true/.test(block),
      enumsAsTypes: /enumsAsTypes: true/.test(block),
      scalars: JSON.parse(scalars.replace(/(\w+):/g, '"$1":')) as Record<string, string>,
    },
  };
}

// What a frontend writes: operations in graphql(`...`) calls, found by the preset by their text.
const OPERATIONS = [
  `query FamilyCard($id: ID!) { family(id: $id) { id familyName status riskTier enrollmentDate updatedAt riskFactors children { name birthDate } } }`,
  `mutation RecordPayment($input: RecordPaymentInput!) { recordPayment(input: $input) { commandId version position events } }`,
];

const USAGE = `import { graphql } from "./gql";
import type { FamilyCardQuery, RecordPaymentMutationVariables, RiskTier } from "./gql/graphql";

export const FamilyCard = graphql(\`${OPERATIONS[0]}\`);
export const RecordPayment = graphql(\`${OPERATIONS[1]}\`);

export function describeFamily(data: FamilyCardQuery): string {
  const family = data.family;
  if (!family) return "none";
  const tier: RiskTier = family.riskTier;
  const enrolled: string = family.enrollmentDate;
  return \`\${family.familyName} \${tier} \${enrolled} \${family.children.map((c) => c.name).join(", ")}\`;
}

export const payment: RecordPaymentMutationVariables = {
  input: { familyId: "f", amountCents: 1000, paidOn: "2026-01-31", method: "CARD", transactionId: "tx-1" },
};
`;

afterAll(() => rmSync(OUT, { recursive: true, force: true }));

describe("the README's graphql-codegen config (client preset)", () => {
  it("points at apps/gateway/schema.graphql, with the client preset and every scalar mapped", () => {
    const { block, output, config } = readmeConfig();
    expect(block).toMatch(/schema: "[^"]*apps\/gateway\/schema\.graphql"/);
    expect(block).toMatch(/preset: "client"/);
    expect(output).toMatch(/\/$/);
    expect(config.strictScalars).toBe(true);
    const custom = [...SDL.matchAll(/^scalar (\w+)/gm)].map((m) => m[1]!);
    expect(custom.length).toBeGreaterThan(0);
    for (const scalar of custom) expect(Object.keys(config.scalars), scalar).toContain(scalar);
  });

  it("generates typed documents that compile with code using them", async () => {
    const { output, config } = readmeConfig();
    const schemaAst = buildSchema(SDL);
    const documents = OPERATIONS.map((source, i) => ({ location: `src/operation-${i}.ts`, document: parse(source), rawSDL: source }));
    const sections = await preset.buildGeneratesSection({
      baseOutputDir: output!,
      presetConfig: {},
      plugins: [],
      pluginMap: {},
      schema: parse(SDL),
      schemaAst,
      documents,
      config,
    });
    rmSync(OUT, { recursive: true, force: true });
    const files: string[] = [];
    for (const section of sections) {
      const path = join(OUT, section.filename);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, await codegen({ ...section, schemaAst }));
      files.push(path);
    }
    const graphqlTs = readFileSync(join(OUT, output!, "graphql.ts"), "utf8");
    expect(graphqlTs).toMatch(/export type FamilyCardQuery = /);
    expect(graphqlTs).toMatch(/export type RiskTier =\s*\|?\s*'CRITICAL'/);
    expect(graphqlTs).toMatch(/Date: \{ input: string; output: string; \}/);
    expect(graphqlTs).toMatch(/JSON: \{ input: unknown; output: unknown; \}/);

    // Compile the generated files with a frontend's use of them.
    const usage = join(OUT, "src/usage.ts");
    writeFileSync(usage, USAGE);
    const typedDocumentNode = dirname(require.resolve("@graphql-typed-document-node/core/package.json", { paths: [dirname(require.resolve("@graphql-codegen/client-preset"))] }));
    const program = ts.createProgram([usage, ...files], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      skipLibCheck: true,
      types: [],
      baseUrl: OUT,
      paths: { "@graphql-typed-document-node/core": [typedDocumentNode], graphql: [dirname(require.resolve("graphql/package.json"))] },
    });
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    expect(diagnostics).toEqual([]);
  });
});
