// GraphQL types of the family feature (CONTRACT section 3). Every decorator names its type
// explicitly: decorator metadata is not emitted by tsx/esbuild.
import "reflect-metadata";
import { ArgsType, Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import type { ContactMethod as DomainContactMethod, JsonValue, PaymentMethod as DomainPaymentMethod } from "@coop/domain";
import { DateScalar, DateTimeScalar, JSONScalar, SafeIntScalar } from "../graphql/scalars";

// ---------------------------------------------------------------------------------------------
// Enums (values in the contract's order)

export const PaymentMethod = { CARD: "CARD", ACH: "ACH", CASH: "CASH", CHECK: "CHECK", OTHER: "OTHER" } as const satisfies Record<DomainPaymentMethod, DomainPaymentMethod>;
export type PaymentMethod = DomainPaymentMethod;
registerEnumType(PaymentMethod, { name: "PaymentMethod", description: "How a payment was made." });

export const ContactMethod = { PHONE: "PHONE", EMAIL: "EMAIL", VISIT: "VISIT", MESSAGE: "MESSAGE" } as const satisfies Record<DomainContactMethod, DomainContactMethod>;
export type ContactMethod = DomainContactMethod;
registerEnumType(ContactMethod, { name: "ContactMethod", description: "How a family was contacted." });

export const FamilyStatus = { ENROLLED: "ENROLLED", WITHDRAWN: "WITHDRAWN", FORGOTTEN: "FORGOTTEN" } as const;
export type FamilyStatus = keyof typeof FamilyStatus;
registerEnumType(FamilyStatus, { name: "FamilyStatus" });

export const RiskTier = { CRITICAL: "CRITICAL", HIGH: "HIGH", MEDIUM: "MEDIUM", LOW: "LOW" } as const;
export type RiskTier = keyof typeof RiskTier;
registerEnumType(RiskTier, { name: "RiskTier", description: "From the risk score: 85+ CRITICAL, 70+ HIGH, 40+ MEDIUM, else LOW." });

// ---------------------------------------------------------------------------------------------
// Mutations: inputs (every mutation answers a CommandReceipt, src/graphql/command-receipt.ts)

@InputType("EnrollFamilyInput")
export class EnrollFamilyInput {
  @Field(() => ID, { nullable: true, description: "A UUID; generated from the command id when omitted." })
  familyId?: string | null;

  @Field(() => String, { nullable: false })
  familyName!: string;

  @Field(() => DateScalar, { nullable: false })
  enrollmentDate!: string;

  @Field(() => String, { nullable: false })
  parentName!: string;

  @Field(() => String, { nullable: false })
  email!: string;

  @Field(() => String, { nullable: true })
  phone?: string | null;

  @Field(() => ID, { nullable: true, description: "Idempotency key (a UUID)." })
  commandId?: string | null;
}

@InputType("AddChildInput")
export class AddChildInput {
  @Field(() => ID, { nullable: false })
  familyId!: string;

  @Field(() => String, { nullable: false })
  childName!: string;

  @Field(() => DateScalar, { nullable: false })
  birthDate!: string;

  @Field(() => ID, { nullable: true })
  commandId?: string | null;
}

@InputType("RecordPaymentInput")
export class RecordPaymentInput {
  @Field(() => ID, { nullable: false })
  familyId!: string;

  @Field(() => Int, { nullable: false })
  amountCents!: number;

  @Field(() => DateScalar, { nullable: false })
  paidOn!: string;

  @Field(() => DateScalar, { nullable: true })
  dueOn?: string | null;

  @Field(() => PaymentMethod, { nullable: false })
  method!: PaymentMethod;

  @Field(() => String, { nullable: false })
  transactionId!: string;

  @Field(() => ID, { nullable: true })
  commandId?: string | null;
}

@InputType("UpdateEngagementScoreInput")
export class UpdateEngagementScoreInput {
  @Field(() => ID, { nullable: false })
  familyId!: string;

  @Field(() => Int, { nullable: false })
  score!: number;

  @Field(() => JSONScalar, { nullable: true })
  factors?: JsonValue | null;

  @Field(() => ID, { nullable: true })
  commandId?: string | null;
}

@InputType("AssessRiskInput")
export class AssessRiskInput {
  @Field(() => ID, { nullable: false })
  familyId!: string;

  @Field(() => Int, { nullable: false })
  score!: number;

  @Field(() => JSONScalar, { nullable: true })
  factors?: JsonValue | null;

  @Field(() => ID, { nullable: true })
  commandId?: string | null;
}

@InputType("RecordContactInput")
export class RecordContactInput {
  @Field(() => ID, { nullable: false })
  familyId!: string;

  @Field(() => ContactMethod, { nullable: false })
  method!: ContactMethod;

  @Field(() => DateScalar, { nullable: false })
  contactedOn!: string;

  @Field(() => String, { nullable: true })
  note?: string | null;

  @Field(() => ID, { nullable: true })
  commandId?: string | null;
}

@InputType("AssignCoordinatorInput")
export class AssignCoordinatorInput {
  @Field(() => ID, { nullable: false })
  familyId!: string;

  @Field(() => String, { nullable: false })
  coordinator!: string;

  @Field(() => ID, { nullable: true })
  commandId?: string | null;
}

@ArgsType()
export class FamilyArgs {
  @Field(() => ID, { nullable: false })
  id!: string;

  @Field(() => DateTimeScalar, { nullable: true, description: "The family as it was at this instant, folded from its events (null before its enrolment)." })
  asOf?: Date | null;
}

@InputType("ForgetFamilyInput")
export class ForgetFamilyInput {
  @Field(() => ID, { nullable: false })
  familyId!: string;

  @Field(() => ID, { nullable: true })
  commandId?: string | null;
}

@InputType("WithdrawFamilyInput")
export class WithdrawFamilyInput {
  @Field(() => ID, { nullable: false })
  familyId!: string;

  @Field(() => String, { nullable: false })
  reason!: string;

  @Field(() => ID, { nullable: true })
  commandId?: string | null;
}

// ---------------------------------------------------------------------------------------------
// Queries: read models

@ObjectType("Child")
export class Child {
  @Field(() => String, { nullable: false })
  name!: string;

  @Field(() => DateScalar, { nullable: false })
  birthDate!: string;
}

@ObjectType("Family")
export class Family {
  @Field(() => ID, { nullable: false })
  id!: string;

  @Field(() => String, { nullable: false })
  familyName!: string;

  @Field(() => FamilyStatus, { nullable: false })
  status!: FamilyStatus;

  @Field(() => DateScalar, { nullable: false })
  enrollmentDate!: string;

  @Field(() => String, { nullable: false })
  parentName!: string;

  @Field(() => String, { nullable: false })
  email!: string;

  @Field(() => String, { nullable: true })
  phone!: string | null;

  @Field(() => [Child], { nullable: false, description: "In the order added." })
  children!: Child[];

  @Field(() => Int, { nullable: false })
  childrenCount!: number;

  @Field(() => Int, { nullable: true, description: "Whole years, as of today (UTC)." })
  oldestChildAge!: number | null;

  @Field(() => SafeIntScalar, { nullable: false })
  totalPaidCents!: number;

  @Field(() => Int, { nullable: false })
  paymentCount!: number;

  @Field(() => DateScalar, { nullable: true, description: "The latest paidOn recorded." })
  lastPaymentDate!: string | null;

  @Field(() => Float, { nullable: true, description: "Mean days late over the late payments; null if none." })
  avgDaysLate!: number | null;

  @Field(() => Int, { nullable: false })
  engagementScore!: number;

  @Field(() => Int, { nullable: false })
  riskScore!: number;

  @Field(() => RiskTier, { nullable: false })
  riskTier!: RiskTier;

  @Field(() => JSONScalar, { nullable: true })
  riskFactors!: unknown;

  @Field(() => String, { nullable: true })
  assignedCoordinator!: string | null;

  @Field(() => DateScalar, { nullable: true, description: "The latest contactedOn recorded." })
  lastContactDate!: string | null;

  @Field(() => Int, { nullable: false })
  version!: number;

  @Field(() => DateTimeScalar, { nullable: false })
  updatedAt!: Date;
}

@ObjectType("AtRiskFamily")
export class AtRiskFamily {
  @Field(() => ID, { nullable: false })
  familyId!: string;

  @Field(() => String, { nullable: false })
  familyName!: string;

  @Field(() => Int, { nullable: false })
  riskScore!: number;

  @Field(() => RiskTier, { nullable: false })
  riskTier!: RiskTier;

  @Field(() => JSONScalar, { nullable: true })
  riskFactors!: unknown;

  @Field(() => String, { nullable: false, description: "HOME_VISIT for CRITICAL, PHONE_CALL for HIGH, EMAIL below." })
  recommendedIntervention!: string;

  @Field(() => DateScalar, { nullable: true })
  lastContactDate!: string | null;

  @Field(() => Int, { nullable: true, description: "Whole days from the last contact to today (UTC); null if never contacted." })
  daysSinceContact!: number | null;

  @Field(() => String, { nullable: true })
  assignedCoordinator!: string | null;

  @Field(() => ID, { nullable: false, description: "Equal to familyId, so that normalized client caches key it without configuration." })
  id!: string;
}

@ObjectType("RiskTierSummary")
export class RiskTierSummary {
  @Field(() => RiskTier, { nullable: false })
  riskTier!: RiskTier;

  @Field(() => Int, { nullable: false })
  families!: number;

  @Field(() => Float, { nullable: false })
  avgEngagement!: number;

  @Field(() => Float, { nullable: false })
  avgRisk!: number;
}

@ObjectType("MethodTotal")
export class MethodTotal {
  @Field(() => PaymentMethod, { nullable: false })
  method!: PaymentMethod;

  @Field(() => Int, { nullable: false })
  count!: number;

  @Field(() => SafeIntScalar, { nullable: false })
  amountCents!: number;
}

@ObjectType("PaymentMonth")
export class PaymentMonth {
  @Field(() => DateScalar, { nullable: false, description: "The month's first day." })
  month!: string;

  @Field(() => Int, { nullable: false })
  paymentCount!: number;

  @Field(() => Int, { nullable: false, description: "Distinct families that paid that month." })
  familiesPaid!: number;

  @Field(() => SafeIntScalar, { nullable: false })
  revenueCollectedCents!: number;

  @Field(() => Int, { nullable: false })
  paidOnTime!: number;

  @Field(() => Int, { nullable: false })
  paidLate!: number;

  @Field(() => Float, { nullable: true })
  avgDaysLate!: number | null;

  @Field(() => [MethodTotal], { nullable: false, description: "Methods used that month, alphabetically." })
  methodBreakdown!: MethodTotal[];
}

@ObjectType("DomainEvent", { description: "An event of the family's stream, as stored." })
export class DomainEvent {
  @Field(() => String, { nullable: false })
  position!: string;

  @Field(() => Int, { nullable: false })
  version!: number;

  @Field(() => String, { nullable: false })
  type!: string;

  @Field(() => Int, { nullable: false })
  schemaVersion!: number;

  @Field(() => DateTimeScalar, { nullable: false })
  recordedAt!: Date;

  @Field(() => JSONScalar, { nullable: false })
  data!: unknown;

  @Field(() => JSONScalar, { nullable: false })
  metadata!: unknown;
}

@ObjectType("FamilyChange", { description: "A family command's effect on the family read model (tenantActivity): ids, version, position and event types only." })
export class FamilyChange {
  @Field(() => ID, { nullable: false })
  familyId!: string;

  @Field(() => Int, { nullable: false, description: "The stream version the family's read model now reflects." })
  version!: number;

  @Field(() => String, { nullable: false, description: "Global position of the last event applied (a 64-bit integer as text)." })
  position!: string;

  @Field(() => [String], { nullable: false, description: "The event types applied, in order." })
  events!: string[];
}

// ---------------------------------------------------------------------------------------------
// Query arguments (classes keep the contract's argument order)

@ArgsType()
export class SearchFamiliesArgs {
  @Field(() => String, { nullable: false, description: "A substring of a family or child name; at most 500 characters." })
  term!: string;

  @Field(() => Int, { nullable: true, defaultValue: 50, description: "1 to 500." })
  limit?: number | null;

  @Field(() => Int, { nullable: true, description: "The page size, 1 to 500 (keyset pagination); when limit is given too, they must agree." })
  first?: number | null;

  @Field(() => ID, { nullable: true, description: "The id of the last family of the previous page (same term): the page continues after it." })
  after?: string | null;
}

@ArgsType()
export class AtRiskFamiliesArgs {
  @Field(() => Int, { nullable: true, defaultValue: 70, description: "0 to 100." })
  minRiskScore?: number | null;

  @Field(() => Int, { nullable: true, defaultValue: 100, description: "1 to 500." })
  limit?: number | null;

  @Field(() => Int, { nullable: true, description: "The page size, 1 to 500 (keyset pagination); when limit is given too, they must agree." })
  first?: number | null;

  @Field(() => ID, { nullable: true, description: "The familyId of the last family of the previous page (same minRiskScore): the page continues after it." })
  after?: string | null;
}

@ArgsType()
export class PaymentAnalyticsArgs {
  @Field(() => DateScalar, { nullable: false, description: "Its month is the first included." })
  from!: string;

  @Field(() => DateScalar, { nullable: false, description: "Inclusive; at most 10 years after from." })
  to!: string;
}
