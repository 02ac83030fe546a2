// A quick local load check of the gateway (not a test, not the benchmark suite):
//   pnpm --filter @coop/gateway run load [-- --payments 10000 --connections 16 --families 100000]
// Starts a gateway process (NODE_ENV=production) on a fresh database, then measures over HTTP:
// recordPayment mutations at 16 in flight, and family by id / at-risk / search queries against
// read models seeded directly with SQL (no worker needed). Drops the database at the end.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { createPool } from "@coop/database";
import { createTestDatabase } from "@coop/database/testing";
import { signToken } from "../src/auth/token";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    payments: { type: "string", default: "10000" },
    connections: { type: "string", default: "16" },
    families: { type: "string", default: "100000" },
    seconds: { type: "string", default: "10" },
  },
});
const PAYMENTS = Number(values.payments);
const CONNECTIONS = Number(values.connections);
const FAMILIES = Number(values.families);
const QUERY_SECONDS = Number(values.seconds);
const SECRET = "load-check-secret-0123456789abcdef";
const TENANT = "load-tenant";
const GATEWAY_DIR = fileURLToPath(new URL("..", import.meta.url));

function run(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

function summary(name: string, result: autocannon.Result) {
  const non2xx = result.non2xx + result.errors;
  if (non2xx > 0) console.error(name, "status codes:", JSON.stringify(result.statusCodeStats), "errors:", result.errors, "timeouts:", result.timeouts, "resets:", result.resets);
  return `${name.padEnd(16)} ${String(Math.round(result.requests.average)).padStart(6)} req/s  p50 ${result.latency.p50} ms  p90 ${result.latency.p90} ms  p99 ${result.latency.p99} ms  (${result.requests.total} requests, ${non2xx} failed)`;
}

async function main() {
  const db = await createTestDatabase("coop_load_gateway");
  const pool = createPool(db.url, { max: 4 });
  const profile = process.env.LOAD_CPU_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.LOAD_CPU_PROFILE}`] : [];
  const child = spawn(process.execPath, [...profile, "--import", "tsx", "src/main.ts"], {
    cwd: GATEWAY_DIR,
    env: { ...process.env, DATABASE_URL: db.url, PORT: "0", JWT_SECRET: SECRET, NODE_ENV: "production", LOG_LEVEL: "info", QUEUE_PREFIX: `load-${process.pid}` },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  let finished = false;
  child.once("exit", (code, signal) => {
    if (!finished) console.error(`the gateway exited early (${code ?? signal}):\n${output.slice(-3000)}`);
  });
  try {
    let port = 0;
    for (let i = 0; i < 300 && !port; i++) {
      port = Number(/"port":(\d+)/.exec(output)?.[1] ?? 0);
      if (!port) await new Promise((r) => setTimeout(r, 100));
    }
    if (!port) throw new Error(`gateway did not start:\n${output}`);
    const url = `http://127.0.0.1:${port}/graphql`;
    const headers = { "content-type": "application/json", authorization: `Bearer ${await signToken(SECRET, { sub: "load", tenantId: TENANT, roles: ["admin"] })}` };

    // Families to pay into: enrolled through the gateway.
    const families = Array.from({ length: 200 }, () => randomUUID());
    const today = new Date().toISOString().slice(0, 10);
    const enroll = "mutation($input: EnrollFamilyInput!) { enrollFamily(input: $input) { version } }";
    for (const familyId of families) {
      const response = await fetch(url, { method: "POST", headers, body: JSON.stringify({ query: enroll, variables: { input: { familyId, familyName: "Load", enrollmentDate: today, parentName: "P", email: "p@example.com" } } }) });
      if (!response.ok) throw new Error(await response.text());
    }

    const pay = "mutation Pay($input: RecordPaymentInput!) { recordPayment(input: $input) { version position } }";
    let n = 0;
    const warmup = await run({
      url, method: "POST", headers, connections: CONNECTIONS, amount: 2_000,
      requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify({ query: pay, variables: { input: { familyId: families[n % families.length], amountCents: 100, paidOn: today, method: "CARD", transactionId: `w-${n++}` } } }) }) }],
    });
    console.log(summary("warm-up payments", warmup));
    const payments = await run({
      url, method: "POST", headers, connections: CONNECTIONS, amount: PAYMENTS,
      requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify({ query: pay, variables: { input: { familyId: families[n % families.length], amountCents: 100, paidOn: today, method: "CARD", transactionId: `t-${n++}` } } }) }) }],
    });

    // Read models for the queries, seeded with SQL like a projector would have written them.
    await pool.query(`
      INSERT INTO family_views (tenant_id, family_id, family_name, status, enrollment_date, parent_name, email, guardians, children,
        children_count, search_text, version, updated_at, risk_score, risk_tier)
      SELECT $1, gen_random_uuid(), 'Family ' || md5(i::text), 'ENROLLED', current_date, 'Parent', 'p@example.com', '[]', '[{"name":"Kid","birthDate":"2018-01-01"}]',
        1, 'Family ' || md5(i::text) || E'\\nKid', 1, now(), (i % 101), (CASE WHEN i % 101 >= 85 THEN 'CRITICAL' WHEN i % 101 >= 70 THEN 'HIGH' WHEN i % 101 >= 40 THEN 'MEDIUM' ELSE 'LOW' END)::"RiskTier"
      FROM generate_series(1, $2::int) AS i`, [TENANT, FAMILIES]);
    await pool.query(`
      INSERT INTO at_risk_families (tenant_id, family_id, family_name, risk_score, risk_tier, never_contacted, last_contact_date, updated_at)
      SELECT tenant_id, family_id, family_name, risk_score, risk_tier, (risk_score % 3 = 0), CASE WHEN risk_score % 3 = 0 THEN NULL ELSE current_date - (risk_score % 90) END, now()
      FROM family_views WHERE tenant_id = $1`, [TENANT]);
    await pool.query("ANALYZE family_views; ANALYZE at_risk_families");
    const ids = (await pool.query<{ id: string }>("SELECT family_id::text AS id FROM family_views WHERE tenant_id = $1 ORDER BY random() LIMIT 1000", [TENANT])).rows.map((r) => r.id);

    // Queries one at a time, as the benchmark measures them (p50 of sequential requests).
    const familyQuery = `query F($id: ID!) { family(id: $id) { id familyName status children { name birthDate } oldestChildAge totalPaidCents riskScore riskTier version updatedAt } }`;
    let q = 0;
    const familyById = await run({
      url, method: "POST", headers, connections: 1, duration: QUERY_SECONDS,
      requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify({ query: familyQuery, variables: { id: ids[q++ % ids.length] } }) }) }],
    });
    const atRisk = await run({
      url, method: "POST", headers, connections: 1, duration: QUERY_SECONDS,
      body: JSON.stringify({ query: "{ atRiskFamilies { familyId familyName riskScore riskTier recommendedIntervention daysSinceContact } }" }),
    });
    // Four hex characters of the md5 in the names: a selective trigram search.
    const terms = Array.from({ length: 100 }, (_, i) => (i * 7919 + 4096).toString(16).slice(-4));
    const search = await run({
      url, method: "POST", headers, connections: 1, duration: QUERY_SECONDS,
      requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify({ query: "query S($t: String!) { searchFamilies(term: $t, limit: 20) { id familyName } }", variables: { t: terms[q++ % terms.length] } }) }) }],
    });

    console.log(summary("recordPayment", payments));
    console.log(summary("family by id", familyById));
    console.log(summary("atRiskFamilies", atRisk));
    console.log(summary("searchFamilies", search));
    console.log(`(recordPayment ${CONNECTIONS} in flight; queries 1 in flight; ${FAMILIES} families in the read models; NODE_ENV=production gateway process)`);
  } finally {
    finished = true;
    if (process.env.LOAD_VERBOSE) console.log(output.split("\n").filter((l) => !l.includes('"level":30')).slice(-20).join("\n"));
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    await pool.end();
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
