// pnpm --filter @coop/gateway run schema: writes schema.graphql from the code.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { printGatewaySchema } from "./graphql/schema";

export const SCHEMA_FILE = fileURLToPath(new URL("../schema.graphql", import.meta.url));

writeFileSync(SCHEMA_FILE, printGatewaySchema());
console.log(`wrote ${SCHEMA_FILE}`);
