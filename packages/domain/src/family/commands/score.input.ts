// The input that setting a score takes (engagement and risk alike): the family, a score and
// optional free-form factors.
import type { Validated } from "../../shared/decider";
import type { JsonValue } from "../../shared/json";
import { integerInRange, jsonValue, uuid } from "../../shared/validation";

export interface ScorePayload {
  familyId: string;
  score: number;
  factors: JsonValue | null;
}

const SCORE_MAX = 100;
const FACTORS_MAX_CHARS = 10_000;

export function validateScore(p: ScorePayload): Validated<ScorePayload> {
  const familyId = uuid("familyId", p.familyId);
  if (!familyId.ok) return familyId;
  const score = integerInRange("score", p.score, 0, SCORE_MAX);
  if (!score.ok) return score;
  const factors = jsonValue("factors", p.factors, FACTORS_MAX_CHARS);
  if (!factors.ok) return factors;
  return { ok: true, value: { familyId: familyId.value, score: score.value, factors: factors.value } };
}
