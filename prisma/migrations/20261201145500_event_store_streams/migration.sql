-- AlterTable
ALTER TABLE "snapshots" DROP CONSTRAINT "snapshots_pkey",
ADD CONSTRAINT "snapshots_pkey" PRIMARY KEY ("tenant_id", "stream_id", "schema_version");

-- CreateTable
CREATE TABLE "unique_claims" (
    "tenant_id" TEXT NOT NULL,
    "scope" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "stream_id" UUID NOT NULL,
    "claimed_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "unique_claims_pkey" PRIMARY KEY ("tenant_id","scope","value")
);
