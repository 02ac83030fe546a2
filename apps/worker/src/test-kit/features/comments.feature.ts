// Comments in the worker's test kit: comments sprinkled over the families' streams (some land
// after a withdrawal or a forgetting and are refused, by the family's rules), and the rows
// family-comments must hold (erased bodies for forgotten families).
import type { AnyCommand, ExpectedTable, FeatureModel, StreamPlan, TestFeature, WorkloadOptions } from "../feature";
import type { Random } from "../random";

const BODIES = ["Called about the forms", "Left a voicemail", "  Visited at home; all well  ", "Needs help with transport", "Émilie will follow up 👍"];

function planComments(workload: { plans: StreamPlan[] }, options: WorkloadOptions, rnd: Random): void {
  const families = workload.plans.filter((p) => p.commands[0]?.type === "EnrollFamily");
  if (families.length === 0) return;
  const count = Math.max(1, Math.round(options.commands * 0.04));
  for (let i = 0; i < count; i++) {
    const plan = rnd.pick(families);
    const at = rnd.int(1, plan.commands.length); // after the enrolment, anywhere
    plan.commands.splice(at, 0, { type: "AddComment", payload: { familyId: plan.streamId, commentId: rnd.uuid(), body: rnd.pick(BODIES) } });
  }
}

/** The author every test command is sent with (TestStack's user). */
export const TEST_USER = "worker-test";

class CommentsModel implements FeatureModel {
  private readonly rows: { tenant_id: string; family_id: string; comment_id: string; body: string; author: string }[] = [];

  predict(): null {
    return null; // a comment follows its family's rules
  }

  accept(tenantId: string, command: AnyCommand): void {
    if (command.type === "ForgetFamily") {
      // A forgotten family's comments keep their author and time, not their words.
      const familyId = (command.payload as { familyId: string }).familyId.toLowerCase();
      for (const row of this.rows) if (row.tenant_id === tenantId && row.family_id === familyId) row.body = "(erased)";
      return;
    }
    if (command.type !== "AddComment") return;
    const p = command.payload as { familyId: string; commentId: string; body: string };
    this.rows.push({ tenant_id: tenantId, family_id: p.familyId, comment_id: p.commentId, body: p.body.trim(), author: TEST_USER });
  }

  tables(): Record<string, ExpectedTable> {
    return { family_comments: { keys: ["tenant_id", "family_id", "comment_id"], rows: this.rows, unchecked: ["added_at"] } };
  }

  /** added_at is the recordedAt of the comment's event. */
  async check(count: (sql: string) => Promise<number>): Promise<string[]> {
    const n = await count(
      `SELECT count(*)::int AS n FROM family_comments c WHERE NOT EXISTS (
         SELECT 1 FROM events e WHERE e.tenant_id = c.tenant_id AND e.stream_id = c.family_id AND e.event_type = 'CommentAdded'
           AND e.data->>'commentId' = c.comment_id::text AND abs(extract(epoch FROM e.recorded_at - c.added_at)) < 0.001)`,
    );
    return n > 0 ? [`family_comments.added_at: ${n} rows do not carry the recordedAt of their event`] : [];
  }
}

export const commentsFeature: TestFeature = {
  name: "comments",
  plan: planComments,
  model: () => new CommentsModel(),
};
