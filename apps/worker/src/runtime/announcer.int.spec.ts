// What workers say on Redis after their commits, checked against the database at the moment each
// message arrives: a change is announced only once its row is committed, a lane's progress only
// once its checkpoint is; the messages carry ids, versions and event types, never a row's data;
// and a board fed by them alone, from its first reading of the database, sees the read models
// reach the head.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectionProgressChannel, streamChangesChannel } from "@coop/config";
import { compareCheckpoints } from "@coop/event-store";
import { decodeProgress, decodeStreamChanges, ProgressBoard, readLanes, readProjections, readPublisher } from "@coop/projection-state";
import { projections } from "../projections/projections";
import { randomSeed } from "../test-kit/random";
import { REDIS_URL, TestStack } from "../test-kit/stack";
import { waitUntil } from "../test-kit/wait";
import { generateWorkload } from "../test-kit/workload";

let stack: TestStack;
let listener: Redis;

beforeAll(async () => {
  stack = await TestStack.create("announcer");
  listener = new Redis(REDIS_URL);
});

afterAll(async () => {
  await listener?.quit();
  await stack?.close();
});

describe("announcements after commits", () => {
  it("say what committed, only once it has, without personal data", async () => {
    const progressChannel = projectionProgressChannel(stack.prefix);
    const changesChannel = streamChangesChannel(stack.prefix, "family-detail");
    const problems: string[] = [];
    const raw: string[] = [];
    const announced = new Map<string, number>(); // tenant/family -> highest version announced
    let changeMessages = 0;
    let progressMessages = 0;
    const board = new ProgressBoard();
    const checks: Promise<void>[] = [];

    // The workers create the projections' rows; the board starts from them.
    stack.startWorkers(2);
    await stack.waitForWorkers();
    await listener.subscribe(progressChannel, changesChannel);
    // The board starts from the database, after subscribing (so that nothing falls in between).
    const [rows, lanes, publisher] = await Promise.all([readProjections(stack.pool), readLanes(stack.pool), readPublisher(stack.pool)]);
    board.refresh(rows, lanes, publisher);
    listener.on("message", (channel: string, message: string) => {
      raw.push(message);
      if (channel === changesChannel) {
        changeMessages++;
        const changes = decodeStreamChanges(message);
        if (changes.length === 0) problems.push(`an empty or malformed change message: ${message}`);
        for (const change of changes) {
          const key = `${change.tenantId}/${change.streamId}`;
          announced.set(key, Math.max(announced.get(key) ?? 0, change.version));
          checks.push(
            stack.pool
              .query<{ version: number }>("SELECT version FROM family_views WHERE tenant_id = $1 AND family_id = $2", [change.tenantId, change.streamId])
              .then(({ rows: found }) => {
                const version = found[0]?.version ?? 0;
                if (version < change.version) problems.push(`${key} announced at version ${change.version} while the row was at ${version}`);
              }),
          );
        }
        return;
      }
      progressMessages++;
      const progress = decodeProgress(message);
      if (!progress) {
        problems.push(`a malformed progress message: ${message}`);
        return;
      }
      if (!board.apply(progress)) problems.push(`progress of a layout the board does not know: ${message}`);
      if (progress.kind === "lane") {
        const at = progress.checkpoint;
        checks.push(
          readLanes(stack.pool, progress.projection).then((now) => {
            const row = now.find((l) => l.lane === progress.lane);
            if (!row || compareCheckpoints(row.checkpoint, at) < 0) problems.push(`${progress.projection}/${progress.lane} announced ${at.transactionId}/${at.position} before committing it`);
          }),
        );
      }
    });

    const workload = generateWorkload({ seed: randomSeed(), families: 40, commands: 800 });
    await stack.run(workload, { concurrency: 8 });
    await stack.waitForHead();
    const head = (await stack.head())!;
    // The board, fed by the announcements alone, sees every read model reach the head.
    await waitUntil("the board to see every projection at the head", async () => board.includes(projections.map((p) => p.name), head), { timeoutMs: 10_000 });
    await Promise.all(checks);

    expect(problems).toEqual([]);
    expect(changeMessages).toBeGreaterThan(0);
    expect(progressMessages).toBeGreaterThan(0);
    // Every family's last version was announced.
    const { rows: views } = await stack.pool.query<{ tenant_id: string; family_id: string; version: number }>("SELECT tenant_id, family_id, version FROM family_views");
    expect(views.length).toBeGreaterThan(0);
    for (const view of views) expect(announced.get(`${view.tenant_id}/${view.family_id}`), `${view.tenant_id}/${view.family_id}`).toBe(view.version);
    // No personal data: none of the rows' names, e-mail addresses or phone numbers appear in any message.
    const { rows: personal } = await stack.pool.query<{ value: string }>(
      "SELECT DISTINCT v AS value FROM family_views, unnest(ARRAY[family_name, parent_name, email, phone]) AS v WHERE v IS NOT NULL AND length(v) >= 4",
    );
    expect(personal.length).toBeGreaterThan(0);
    const everything = raw.join("\n");
    for (const { value } of personal) expect(everything.includes(value), `a message carries "${value}"`).toBe(false);
  });
});
