import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.spec.ts"],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    // The integration files each run three worker processes on a 2-core machine: one file at a
    // time keeps them from starving each other (and keeps timeouts meaningful).
    fileParallelism: false,
  },
});
