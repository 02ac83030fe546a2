// The family feature's GraphQL surface. Mutations are thin: build the command, dispatch, map the
// result (src/graphql/dispatch.ts). Queries read read models only (familyHistory reads the event
// store: the audit trail).
import type { GraphQLResolveInfo } from "graphql";
import { Arg, Args, Ctx, ID, Info, Mutation, Query, Resolver } from "type-graphql";
import { streamIdFor } from "@coop/command-bus";
import { isStorableText } from "@coop/domain";
import type { GatewayContext } from "../context";
import { badUserInput } from "../errors/errors";
import { pageOf, viewerOf } from "../graphql/arguments";
import { CommandReceipt } from "../graphql/command-receipt";
import { commandIdOf, dispatch } from "../graphql/dispatch";
import { FamilyQueries, spanWithinYears } from "./family.queries";
import {
  AddChildInput,
  AssessRiskInput,
  AssignCoordinatorInput,
  AtRiskFamily,
  AtRiskFamiliesArgs,
  DomainEvent,
  EnrollFamilyInput,
  Family,
  FamilyArgs,
  ForgetFamilyInput,
  PaymentAnalyticsArgs,
  PaymentMonth,
  RecordContactInput,
  RecordPaymentInput,
  RiskTierSummary,
  SearchFamiliesArgs,
  UpdateEngagementScoreInput,
  WithdrawFamilyInput,
} from "./family.types";

const TERM_MAX = 500;
const ANALYTICS_MAX_YEARS = 10;

@Resolver()
export class FamilyResolver {
  private queries(ctx: GatewayContext): FamilyQueries {
    return ctx.services.read(FamilyQueries);
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

  @Mutation(() => CommandReceipt, {
    nullable: false,
    description: "Forgets a family (admin): its key is destroyed, so its personal data reads as (erased) everywhere from now on; nothing more can be done with it.",
  })
  forgetFamily(@Arg("input", () => ForgetFamilyInput, { nullable: false }) input: ForgetFamilyInput, @Ctx() ctx: GatewayContext) {
    return dispatch(ctx, commandIdOf(input), { type: "ForgetFamily", payload: { familyId: input.familyId } });
  }

  // -------------------------------------------------------------------------------------------
  // Queries: read models

  @Query(() => Family, {
    nullable: true,
    description: "A family of the viewer's tenant; null if unknown (any role). With asOf: the family as it was at that instant, folded from its events (null before its enrolment).",
  })
  family(@Args(() => FamilyArgs) { id, asOf }: FamilyArgs, @Ctx() ctx: GatewayContext) {
    const viewer = viewerOf(ctx);
    if (asOf) return this.queries(ctx).familyAsOf(viewer, id, asOf, ctx.services.today());
    return this.queries(ctx).family(viewer, id, ctx.services.today());
  }

  @Query(() => [Family], { nullable: false, description: "Case-insensitive substring of the family's or a child's name, by family name then id (any role). Pages: first and after." })
  searchFamilies(@Args(() => SearchFamiliesArgs) args: SearchFamiliesArgs, @Ctx() ctx: GatewayContext, @Info() info: GraphQLResolveInfo) {
    const { term } = args;
    const page = pageOf(args, info, 50);
    if (term.length > TERM_MAX) throw badUserInput("term", `term must be at most ${TERM_MAX} characters`);
    // No stored name holds these, and PostgreSQL refuses a NUL in a parameter.
    if (!isStorableText(term)) throw badUserInput("term", "term must not contain NUL characters or unpaired surrogates");
    return this.queries(ctx).search(viewerOf(ctx), term, page, ctx.services.today());
  }

  @Query(() => [AtRiskFamily], { nullable: false, description: "Enrolled families at or above a risk score, in the contract's order then by id (coordinator, admin). Pages: first and after." })
  atRiskFamilies(@Args(() => AtRiskFamiliesArgs) args: AtRiskFamiliesArgs, @Ctx() ctx: GatewayContext, @Info() info: GraphQLResolveInfo) {
    const min = args.minRiskScore ?? 70;
    if (min < 0 || min > 100) throw badUserInput("minRiskScore", "minRiskScore must be between 0 and 100");
    const page = pageOf(args, info, 100);
    return this.queries(ctx).atRisk(viewerOf(ctx), min, page, ctx.services.today());
  }

  @Query(() => [RiskTierSummary], { nullable: false, description: "Enrolled families by risk tier (coordinator, admin)." })
  familiesByRiskTier(@Ctx() ctx: GatewayContext) {
    return this.queries(ctx).byRiskTier(viewerOf(ctx));
  }

  @Query(() => [PaymentMonth], { nullable: false, description: "Monthly payment analytics, newest month first (finance, admin)." })
  paymentAnalytics(@Args(() => PaymentAnalyticsArgs) { from, to }: PaymentAnalyticsArgs, @Ctx() ctx: GatewayContext) {
    if (from > to) throw badUserInput("from", "from must not be after to");
    if (!spanWithinYears(from, to, ANALYTICS_MAX_YEARS)) throw badUserInput("to", `from and to may be at most ${ANALYTICS_MAX_YEARS} years apart`);
    return this.queries(ctx).paymentMonths(viewerOf(ctx), from, to);
  }

  @Query(() => [DomainEvent], {
    nullable: false,
    description: "The family's events in their stored schema, in order: the audit trail (coordinator, admin). Personal fields read as (erased) or null once the family is forgotten.",
  })
  familyHistory(@Arg("id", () => ID, { nullable: false }) id: string, @Ctx() ctx: GatewayContext) {
    return this.queries(ctx).history(viewerOf(ctx), id);
  }
}
