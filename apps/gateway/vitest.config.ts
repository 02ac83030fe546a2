import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 has no "exports": Node loads its CommonJS entry for every package (Apollo,
    // type-graphql), while Vite would pick index.mjs for our sources: two graphql instances, and
    // "Cannot use GraphQLScalarType from another module". Point Vite at the one Node uses.
    alias: [{ find: /^graphql$/, replacement: require.resolve("graphql") }],
  },
  test: {
    include: ["src/**/*.spec.ts", "test/**/*.spec.ts"],
    testTimeout: 60_000,
    hookTimeout: 90_000,
    // Each integration file runs its own gateway (and sometimes a worker) on a 2-core machine.
    maxWorkers: 2,
  },
});
