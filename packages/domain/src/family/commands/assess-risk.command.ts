import { emit } from "../../shared/aggregate";
import { riskAssessed } from "../events/risk-assessed.event";
import { familyCommand, inactiveFamily } from "../family.kit";
import { riskTier } from "../risk";
import { validateScore, type ScorePayload } from "./score.input";

export type AssessRiskPayload = ScorePayload;

export const assessRisk = familyCommand({
  type: "AssessRisk",
  emits: [riskAssessed],
  streamId: (p: AssessRiskPayload) => p.familyId,
  validate: (p: AssessRiskPayload) => validateScore(p),
  decide: (p, state) =>
    inactiveFamily(state, p.familyId) ??
    emit(riskAssessed, { score: p.score, tier: riskTier(p.score), previousScore: state.riskScore, factors: p.factors }),
});
