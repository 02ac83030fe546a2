-- CreateExtension
CREATE EXTENSION IF NOT EXISTS "pg_trgm";

-- CreateEnum
CREATE TYPE "FamilyStatus" AS ENUM ('ENROLLED', 'WITHDRAWN');

-- CreateEnum
CREATE TYPE "RiskTier" AS ENUM ('CRITICAL', 'HIGH', 'MEDIUM', 'LOW');

-- CreateEnum
CREATE TYPE "PaymentMethod" AS ENUM ('ACH', 'CARD', 'CASH', 'CHECK', 'OTHER');

-- CreateTable
CREATE TABLE "family_views" (
    "tenant_id" TEXT NOT NULL,
    "family_id" UUID NOT NULL,
    "family_name" TEXT NOT NULL,
    "status" "FamilyStatus" NOT NULL,
    "enrollment_date" DATE NOT NULL,
    "parent_name" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "phone" TEXT,
    "guardians" JSONB NOT NULL,
    "children" JSONB NOT NULL,
    "children_count" INTEGER NOT NULL DEFAULT 0,
    "oldest_child_birth_date" DATE,
    "total_paid_cents" BIGINT NOT NULL DEFAULT 0,
    "payment_count" INTEGER NOT NULL DEFAULT 0,
    "last_payment_date" DATE,
    "late_payment_count" INTEGER NOT NULL DEFAULT 0,
    "total_days_late" BIGINT NOT NULL DEFAULT 0,
    "engagement_score" INTEGER NOT NULL DEFAULT 0,
    "risk_score" INTEGER NOT NULL DEFAULT 0,
    "risk_tier" "RiskTier" NOT NULL DEFAULT 'LOW',
    "risk_factors" JSONB,
    "assigned_coordinator" TEXT,
    "last_contact_date" DATE,
    "search_text" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "family_views_pkey" PRIMARY KEY ("tenant_id","family_id")
);

-- CreateTable
CREATE TABLE "at_risk_families" (
    "tenant_id" TEXT NOT NULL,
    "family_id" UUID NOT NULL,
    "family_name" TEXT NOT NULL,
    "risk_score" INTEGER NOT NULL,
    "risk_tier" "RiskTier" NOT NULL,
    "risk_factors" JSONB,
    "never_contacted" BOOLEAN NOT NULL,
    "last_contact_date" DATE,
    "assigned_coordinator" TEXT,
    "updated_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "at_risk_families_pkey" PRIMARY KEY ("tenant_id","family_id")
);

-- CreateTable
CREATE TABLE "payment_months" (
    "tenant_id" TEXT NOT NULL,
    "month" DATE NOT NULL,
    "payment_count" INTEGER NOT NULL,
    "families_paid" INTEGER NOT NULL,
    "revenue_cents" BIGINT NOT NULL,
    "paid_on_time" INTEGER NOT NULL,
    "paid_late" INTEGER NOT NULL,
    "total_days_late" BIGINT NOT NULL,
    "updated_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "payment_months_pkey" PRIMARY KEY ("tenant_id","month")
);

-- CreateTable
CREATE TABLE "payment_month_families" (
    "tenant_id" TEXT NOT NULL,
    "month" DATE NOT NULL,
    "family_id" UUID NOT NULL,

    CONSTRAINT "payment_month_families_pkey" PRIMARY KEY ("tenant_id","month","family_id")
);

-- CreateTable
CREATE TABLE "payment_month_methods" (
    "tenant_id" TEXT NOT NULL,
    "month" DATE NOT NULL,
    "method" "PaymentMethod" NOT NULL,
    "count" INTEGER NOT NULL,
    "amount_cents" BIGINT NOT NULL,

    CONSTRAINT "payment_month_methods_pkey" PRIMARY KEY ("tenant_id","month","method")
);

-- CreateIndex
CREATE INDEX "family_views_name_idx" ON "family_views"("tenant_id", "family_name");

-- CreateIndex
CREATE INDEX "family_views_tier_idx" ON "family_views"("tenant_id", "status", "risk_tier");

-- CreateIndex
CREATE INDEX "family_views_search_idx" ON "family_views" USING GIN ("search_text" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "at_risk_families_order_idx" ON "at_risk_families"("tenant_id", "risk_score" DESC, "never_contacted" DESC, "last_contact_date", "family_name");
