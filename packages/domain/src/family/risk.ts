export type RiskTier = "CRITICAL" | "HIGH" | "MEDIUM" | "LOW";

/** Tier of a 0..100 risk score: 85+ CRITICAL, 70+ HIGH, 40+ MEDIUM, else LOW. */
export function riskTier(score: number): RiskTier {
  if (score >= 85) return "CRITICAL";
  if (score >= 70) return "HIGH";
  if (score >= 40) return "MEDIUM";
  return "LOW";
}
