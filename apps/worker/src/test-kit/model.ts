import type { AnyCommand, ExpectedTable, FeatureModel, Verdict } from "./feature";
import { features } from "./features";

export type { Verdict } from "./feature";

/**
 * The expected read models, computed from the accepted commands alone: each feature's model, a
 * second and simple implementation of the contract to check the projections against.
 */
export class ExpectedModel {
  private readonly parts: FeatureModel[] = features.map((f) => f.model());
  accepted = 0;
  refused = 0;

  /** The domain's verdict on a command, given what was accepted before. */
  predict(tenantId: string, command: AnyCommand): Verdict {
    const verdicts = this.parts.map((p) => p.predict(tenantId, command)).filter((v): v is Verdict => v !== null);
    if (verdicts.length === 0) throw new Error(`no feature of the test kit predicts ${command.type}`);
    return verdicts.find((v) => !v.accepted) ?? verdicts[0]!;
  }

  /** Records an accepted command (each appends exactly one event). */
  accept(tenantId: string, command: AnyCommand): void {
    this.accepted++;
    for (const part of this.parts) part.accept(tenantId, command);
  }

  tables(): Record<string, ExpectedTable> {
    return Object.assign({}, ...this.parts.map((p) => p.tables())) as Record<string, ExpectedTable>;
  }

  async check(count: (sql: string) => Promise<number>): Promise<string[]> {
    const problems: string[] = [];
    for (const part of this.parts) problems.push(...((await part.check?.(count)) ?? []));
    return problems;
  }
}
