// Prisma 7 reads its settings from here. `prisma generate` is all we run of the CLI;
// migrations are applied by @coop/database (see ARCHITECTURE.md in the README).
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: {
    url: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/coop",
  },
});
