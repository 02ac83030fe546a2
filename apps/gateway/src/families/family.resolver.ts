// The family feature's GraphQL surface. Mutations are thin: build the command envelope, dispatch,
// map the result. Shape and range rules are the domain's (the bus returns InvalidInput naming the
// field). Queries read read models only (familyHistory reads the event store: the audit trail).
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { Arg, Args, Ctx, ID, Mutation, Query, Resolver } from "type-graphql";
import { CommandInfrastructureError, streamIdFor } from "@coop/command-bus";
import { isStorableText, type FamilyCommand } from "@coop/domain";
import type { GatewayContext } from "../context";
import type { Viewer } from "../auth/viewer";
import { badUserInput, ErrorCode, rejectionToError, unauthenticated } from "../errors/errors";
import { FamilyQueries, isUuid, spanWithinYears } from "./family.queries";
import {
  AddChildInput,
  AssessRiskInput,
  AssignCoordinatorInput,
  AtRiskFamily,
  AtRiskFamiliesArgs,
  CommandReceipt,
  DomainEvent,
  EnrollFamilyInput,
  Family,
  PaymentAnalyticsArgs,
  PaymentMonth,
  RecordContactInput,
  RecordPaymentInput,
  RiskTierSummary,
  SearchFamiliesArgs,
  UpdateEngagementScoreInput,
  WithdrawFamilyInput,
} from "./family.types";

const LIMIT_MAX = 500;
const TERM_MAX = 500;
const ANALYTICS_MAX_YEARS = 10;

function viewerOf(ctx: GatewayContext): Viewer {
  // The access plugin lets no operation through without a viewer; this is a second lock.
  if (!ctx.viewer) throw unauthenticated("Authentication required");
  return ctx.viewer;
}

interface CommandIdentity {
  commandId: string;
}

/** The input's command id (a UUID, lower-cased as PostgreSQL prints it) or a new one. */
function commandIdOf(input: { commandId?: string | null }): CommandIdentity {
  const given = input.commandId;
  if (given === undefined || given === null) return { commandId: randomUUID() };
  if (!isUuid(given)) throw badUserInput("commandId", "commandId must be a UUID");
  return { commandId: given.toLowerCase() };
}

function checkLimit(limit: number | null | undefined, fallback: number): number {
  const value = limit ?? fallback;
  if (!Number.isInteger(value) || value < 1 || value > LIMIT_MAX) throw badUserInput("limit", `limit must be between 1 and ${LIMIT_MAX}`);
  return value;
}

async function dispatch(ctx: GatewayContext, identity: CommandIdentity, command: FamilyCommand): Promise<CommandReceipt> {
  const viewer = viewerOf(ctx);
  const { bus, metrics } = ctx.services;
  const started = performance.now();
  let outcome = "ok";
  try {
    const result = await bus.dispatch({
      ...identity,
      tenantId: viewer.tenantId,
      userId: viewer.userId,
      correlationId: ctx.correlationId,
      ...command,
    });
    if (!result.ok) {
      const error = rejectionToError(result.rejection);
      outcome = String(error.extensions.code);
      throw error;
    }
    if (result.repeated) outcome = "repeated";
    return result.receipt;
  } catch (error) {
    if (outcome === "ok") outcome = error instanceof CommandInfrastructureError ? ErrorCode.INTERNAL_SERVER_ERROR : "error";
    throw error;
  } finally {
    metrics.commandDuration.observe({ command: command.type, outcome }, (performance.now() - started) / 1000);
  }
}

@Resolver()
export class FamilyResolver {
  private queries(ctx: GatewayContext): FamilyQueries {
    return ctx.services.families;
  }

  // -------------------------------------------------------------------------------------------
  // Mutations: each one is one command

  @Mutation(() => CommandReceipt, { nullable: false, description: "Enrolls a family (coordinator, admin)." })
  enrollFamily(@Arg("input", () => EnrollFamilyInput, { nullable: false }) input: EnrollFamilyInput, @Ctx() ctx: GatewayContext) {
    const identity = commandIdOf(input);
    // Omitted family id: derived from the command id, so a resent command names the same family.
    const familyId = input.familyId ?? streamIdFor(viewerOf(ctx).tenantId, identity.commandId);
    return dispatch(ctx, identity, {
      type: "EnrollFamily",
      payload: {
        familyId,
        familyName: input.familyName,
        enrollmentDate: input.enrollmentDate,
        parentName: input.parentName,
        email: input.email,
        phone: input.phone ?? null,
      },
    });
  }

  @Mutation(() => CommandReceipt, { nullable: false, description: "Adds a child (coordinator, admin)." })
  addChild(@Arg("input", () => AddChildInput, { nullable: false }) input: AddChildInput, @Ctx() ctx: GatewayContext) {
    return dispatch(ctx, commandIdOf(input), {
      type: "AddChild",
      payload: { familyId: input.familyId, childName: input.childName, birthDate: input.birthDate },
    });
  }

  @Mutation(() => CommandReceipt, { nullable: false, description: "Records a payment (finance, admin)." })
  recordPayment(@Arg("input", () => RecordPaymentInput, { nullable: false }) input: RecordPaymentInput, @Ctx() ctx: GatewayContext) {
    return dispatch(ctx, commandIdOf(input), {
      type: "RecordPayment",
      payload: {
        familyId: input.familyId,
        amountCents: input.amountCents,
        paidOn: input.paidOn,
        dueOn: input.dueOn ?? null,
        method: input.method,
        transactionId: input.transactionId,
      },
    });
  }

  @Mutation(() => CommandReceipt, { nullable: false, description: "Sets the engagement score (coordinator, admin)." })
  updateEngagementScore(
    @Arg("input", () => UpdateEngagementScoreInput, { nullable: false }) input: UpdateEngagementScoreInput,
    @Ctx() ctx: GatewayContext,
  ) {
    return dispatch(ctx, commandIdOf(input), {
      type: "UpdateEngagementScore",
      payload: { familyId: input.familyId, score: input.score, factors: input.factors ?? null },
    });
  }

  @Mutation(() => CommandReceipt, { nullable: false, description: "Assesses the risk score (coordinator, admin)." })
  assessRisk(@Arg("input", () => AssessRiskInput, { nullable: false }) input: AssessRiskInput, @Ctx() ctx: GatewayContext) {
    return dispatch(ctx, commandIdOf(input), {
      type: "AssessRisk",
      payload: { familyId: input.familyId, score: input.score, factors: input.factors ?? null },
    });
  }

  @Mutation(() => CommandReceipt, { nullable: false, description: "Records a contact (coordinator, admin)." })
  recordContact(@Arg("input", () => RecordContactInput, { nullable: false }) input: RecordContactInput, @Ctx() ctx: GatewayContext) {
    return dispatch(ctx, commandIdOf(input), {
      type: "RecordContact",
      payload: { familyId: input.familyId, method: input.method, contactedOn: input.contactedOn, note: input.note ?? null },
    });
  }

  @Mutation(() => CommandReceipt, { nullable: false, description: "Assigns a coordinator (coordinator, admin)." })
  assignCoordinator(
    @Arg("input", () => AssignCoordinatorInput, { nullable: false }) input: AssignCoordinatorInput,
    @Ctx() ctx: GatewayContext,
  ) {
    return dispatch(ctx, commandIdOf(input), {
      type: "AssignCoordinator",
      payload: { familyId: input.familyId, coordinator: input.coordinator },
    });
  }

  @Mutation(() => CommandReceipt, { nullable: false, description: "Withdraws a family (coordinator, admin)." })
  withdrawFamily(@Arg("input", () => WithdrawFamilyInput, { nullable: false }) input: WithdrawFamilyInput, @Ctx() ctx: GatewayContext) {
    return dispatch(ctx, commandIdOf(input), {
      type: "WithdrawFamily",
      payload: { familyId: input.familyId, reason: input.reason },
    });
  }

  // -------------------------------------------------------------------------------------------
  // Queries: read models

  @Query(() => Family, { nullable: true, description: "A family of the viewer's tenant; null if unknown (any role)." })
  family(@Arg("id", () => ID, { nullable: false }) id: string, @Ctx() ctx: GatewayContext) {
    return this.queries(ctx).family(viewerOf(ctx).tenantId, id, ctx.services.today());
  }

  @Query(() => [Family], { nullable: false, description: "Case-insensitive substring of the family's or a child's name, by family name (any role)." })
  searchFamilies(@Args(() => SearchFamiliesArgs) { term, limit }: SearchFamiliesArgs, @Ctx() ctx: GatewayContext) {
    const checked = checkLimit(limit, 50);
    if (term.length > TERM_MAX) throw badUserInput("term", `term must be at most ${TERM_MAX} characters`);
    // No stored name holds these, and PostgreSQL refuses a NUL in a parameter.
    if (!isStorableText(term)) throw badUserInput("term", "term must not contain NUL characters or unpaired surrogates");
    return this.queries(ctx).search(viewerOf(ctx).tenantId, term, checked, ctx.services.today());
  }

  @Query(() => [AtRiskFamily], { nullable: false, description: "Enrolled families at or above a risk score (coordinator, admin)." })
  atRiskFamilies(@Args(() => AtRiskFamiliesArgs) { minRiskScore, limit }: AtRiskFamiliesArgs, @Ctx() ctx: GatewayContext) {
    const min = minRiskScore ?? 70;
    if (min < 0 || min > 100) throw badUserInput("minRiskScore", "minRiskScore must be between 0 and 100");
    const checked = checkLimit(limit, 100);
    return this.queries(ctx).atRisk(viewerOf(ctx).tenantId, min, checked, ctx.services.today());
  }

  @Query(() => [RiskTierSummary], { nullable: false, description: "Enrolled families by risk tier (coordinator, admin)." })
  familiesByRiskTier(@Ctx() ctx: GatewayContext) {
    return this.queries(ctx).byRiskTier(viewerOf(ctx).tenantId);
  }

  @Query(() => [PaymentMonth], { nullable: false, description: "Monthly payment analytics, newest month first (finance, admin)." })
  paymentAnalytics(@Args(() => PaymentAnalyticsArgs) { from, to }: PaymentAnalyticsArgs, @Ctx() ctx: GatewayContext) {
    if (from > to) throw badUserInput("from", "from must not be after to");
    if (!spanWithinYears(from, to, ANALYTICS_MAX_YEARS)) throw badUserInput("to", `from and to may be at most ${ANALYTICS_MAX_YEARS} years apart`);
    return this.queries(ctx).paymentMonths(viewerOf(ctx).tenantId, from, to);
  }

  @Query(() => [DomainEvent], { nullable: false, description: "The family's events as stored, in order: the audit trail (coordinator, admin)." })
  familyHistory(@Arg("id", () => ID, { nullable: false }) id: string, @Ctx() ctx: GatewayContext) {
    return this.queries(ctx).history(viewerOf(ctx).tenantId, id);
  }
}
