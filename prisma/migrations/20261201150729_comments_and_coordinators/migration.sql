-- CreateTable
CREATE TABLE "family_comments" (
    "tenant_id" TEXT NOT NULL,
    "family_id" UUID NOT NULL,
    "comment_id" UUID NOT NULL,
    "body" TEXT NOT NULL,
    "author" TEXT NOT NULL,
    "added_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "family_comments_pkey" PRIMARY KEY ("tenant_id","family_id","comment_id")
);

-- CreateTable
CREATE TABLE "coordinators" (
    "tenant_id" TEXT NOT NULL,
    "coordinator_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "caseload_limit" INTEGER NOT NULL,
    "version" INTEGER NOT NULL,
    "updated_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "coordinators_pkey" PRIMARY KEY ("tenant_id","coordinator_id")
);

-- CreateTable
CREATE TABLE "coordinator_assignments" (
    "tenant_id" TEXT NOT NULL,
    "family_id" UUID NOT NULL,
    "coordinator" TEXT,
    "enrolled" BOOLEAN NOT NULL,
    "version" INTEGER NOT NULL,

    CONSTRAINT "coordinator_assignments_pkey" PRIMARY KEY ("tenant_id","family_id")
);

-- CreateTable
CREATE TABLE "coordinator_caseloads" (
    "tenant_id" TEXT NOT NULL,
    "coordinator" TEXT NOT NULL,
    "caseload" INTEGER NOT NULL,

    CONSTRAINT "coordinator_caseloads_pkey" PRIMARY KEY ("tenant_id","coordinator")
);

-- CreateIndex
CREATE INDEX "family_comments_newest_idx" ON "family_comments"("tenant_id", "family_id", "added_at" DESC, "comment_id" DESC);

-- CreateIndex
CREATE INDEX "coordinators_name_idx" ON "coordinators"("tenant_id", "name");
