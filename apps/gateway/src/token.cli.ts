// pnpm run token --tenant T --roles r1,r2 [--sub NAME] [--expires 12h]
// Prints a signed HS256 JWT with the configured JWT_SECRET, and nothing else on stdout (warnings go
// to stderr), so that TOKEN=$(pnpm -s run token ...) works.
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "@coop/config";
import { signToken } from "./auth/token";
import { isRole, ROLES, type Role } from "./auth/viewer";

const USAGE = `usage: pnpm run token --tenant TENANT --roles ROLE[,ROLE...] [--sub NAME] [--expires DURATION]

  --tenant   the tenant id (tenant_id claim)
  --roles    comma-separated, of: ${ROLES.join(", ")}
  --sub      the user (sub claim), default "cli-user"
  --expires  lifetime, e.g. 30m, 12h, 7d (default 12h)

Signs with JWT_SECRET (the development secret when it is not set, which only a gateway under
NODE_ENV=development or test accepts), and sets iss and aud from JWT_ISSUER and JWT_AUDIENCE when set.`;

class UsageError extends Error {}

export function parseTokenArgs(argv: string[]): { tenantId: string; roles: Role[]; sub: string; expiresIn: string } {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv.filter((a) => a !== "--"),
      options: {
        tenant: { type: "string" },
        roles: { type: "string" },
        sub: { type: "string" },
        expires: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) throw new UsageError("");
  const tenantId = values.tenant?.trim();
  if (!tenantId) throw new UsageError("--tenant is required");
  if (!values.roles) throw new UsageError("--roles is required");
  const roles = values.roles.split(",").map((r) => r.trim()).filter((r) => r !== "");
  const unknown = roles.filter((r) => !isRole(r));
  if (roles.length === 0 || unknown.length > 0) throw new UsageError(`unknown role(s): ${unknown.join(", ") || "(none given)"}`);
  const sub = values.sub?.trim() || "cli-user";
  const expiresIn = values.expires ?? "12h";
  if (!/^\d+\s*(s|sec|secs|second|seconds|m|min|mins|minute|minutes|h|hr|hrs|hour|hours|d|day|days|w|week|weeks|y|yr|yrs|year|years)$/i.test(expiresIn)) {
    throw new UsageError(`--expires must look like 30m, 12h or 7d, got "${expiresIn}"`);
  }
  return { tenantId, roles: roles as Role[], sub, expiresIn };
}

async function main() {
  let args;
  try {
    args = parseTokenArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) {
      if (error.message) console.error(`token: ${error.message}`);
      console.error(USAGE);
      process.exit(2);
    }
    throw error;
  }
  let config;
  try {
    // Signing needs no guard: a token made with the development secret opens only a gateway that
    // itself runs on it, which only development and test allow.
    config = loadConfig(process.env, { requireJwtSecret: false, requireDataKeySecret: false });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`token: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  if (config.jwtSecretIsDefault) console.error("token: JWT_SECRET is not set; signing with the development secret");
  const token = await signToken(config.jwtSecret, {
    sub: args.sub,
    tenantId: args.tenantId,
    roles: args.roles,
    expiresIn: args.expiresIn,
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
  });
  process.stdout.write(`${token}\n`);
}

main().catch((error: unknown) => {
  console.error("token:", error);
  process.exit(1);
});
