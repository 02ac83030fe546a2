import { emit } from "../../shared/aggregate";
import { engagementScoreUpdated } from "../events/engagement-score-updated.event";
import { familyCommand, inactiveFamily } from "../family.kit";
import { validateScore, type ScorePayload } from "./score.input";

export type UpdateEngagementScorePayload = ScorePayload;

export const updateEngagementScore = familyCommand({
  type: "UpdateEngagementScore",
  emits: [engagementScoreUpdated],
  streamId: (p: UpdateEngagementScorePayload) => p.familyId,
  validate: (p: UpdateEngagementScorePayload) => validateScore(p),
  decide: (p, state) =>
    inactiveFamily(state, p.familyId) ?? emit(engagementScoreUpdated, { score: p.score, previousScore: state.engagementScore, factors: p.factors }),
});
