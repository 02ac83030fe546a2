import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.spec.ts", "test/**/*.spec.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The domain is pure (no globals, no I/O), so files can share worker threads without
    // isolation; this cuts the run from ~1.5 s of worker start-up to ~0.5 s.
    pool: "threads",
    isolate: false,
  },
});
