// CommandReceipt.family (CONTRACT section 6): the family as its read model shows it once that
// model includes the command's events, so that a UI can show what it just did. Waits for the row
// to reach the receipt's stream version, at most CONSISTENCY_TIMEOUT_MS; past that the field is
// null with CONSISTENCY_TIMEOUT at its path, and the rest of the receipt stands.
import { Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import { aggregateOf } from "@coop/domain";
import type { GatewayContext } from "../context";
import { ConsistencyTimeout } from "../consistency/consistency";
import { consistencyTimeout } from "../errors/errors";
import { viewerOf } from "../graphql/arguments";
import { CommandReceipt } from "../graphql/command-receipt";
import { FamilyQueries } from "./family.queries";
import { Family } from "./family.types";

@Resolver(() => CommandReceipt)
export class ReceiptFamilyResolver {
  @FieldResolver(() => Family, {
    nullable: true,
    description: "The family as the family read model shows it once it includes this command's events (null for a command on another aggregate).",
  })
  async family(@Root() receipt: CommandReceipt, @Ctx() ctx: GatewayContext): Promise<Family | null> {
    const first = receipt.events[0];
    if (!first || aggregateOf(first)?.streamType !== "Family") return null;
    const viewer = viewerOf(ctx);
    const { consistency, today } = ctx.services;
    const queries = ctx.services.read(FamilyQueries);
    try {
      const load = () => queries.family(viewer, receipt.streamId, today());
      return await consistency.familyAt(viewer.tenantId, receipt.streamId, receipt.version, receipt.position, load, consistency.deadline());
    } catch (error) {
      throw error instanceof ConsistencyTimeout ? consistencyTimeout(error.message) : error;
    }
  }
}
