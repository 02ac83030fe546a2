-- AlterEnum
ALTER TYPE "FamilyStatus" ADD VALUE 'FORGOTTEN';

-- CreateTable
CREATE TABLE "data_keys" (
    "tenant_id" TEXT NOT NULL,
    "stream_id" UUID NOT NULL,
    "key_id" TEXT,
    "wrapped_key" BYTEA,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "forgotten_at" TIMESTAMPTZ(6),

    CONSTRAINT "data_keys_pkey" PRIMARY KEY ("tenant_id","stream_id")
);
