-- AlterTable (hand-edited: existing events get their hash, the same expression the append uses)
ALTER TABLE "events" ADD COLUMN     "stream_hash" INTEGER;
UPDATE "events" SET "stream_hash" = ('x' || substr(md5("tenant_id" || '/' || "stream_id"::text), 1, 7))::bit(28)::int;
ALTER TABLE "events" ALTER COLUMN "stream_hash" SET NOT NULL;

-- (hand-edited) Checkpoints move to lanes: an existing projection becomes one lane, built by code
-- version 0, so that a worker with PROJECTION_LANES or a newer version rebuilds it blue/green.
CREATE TABLE "projection_lanes" (
    "projection" TEXT NOT NULL,
    "lane" INTEGER NOT NULL,
    "transaction_id" BIGINT NOT NULL DEFAULT 0,
    "position" BIGINT NOT NULL DEFAULT 0,
    "events_processed" BIGINT NOT NULL DEFAULT 0,
    "parked_streams" INTEGER NOT NULL DEFAULT 0,
    "last_applied_at" TIMESTAMPTZ(6),
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "projection_lanes_pkey" PRIMARY KEY ("projection","lane")
);
INSERT INTO "projection_lanes" ("projection", "lane", "transaction_id", "position", "events_processed")
SELECT "name", 0, "transaction_id", "position", "events_processed" FROM "projections";

-- AlterTable
ALTER TABLE "publisher_checkpoints" ADD COLUMN     "published" JSONB NOT NULL DEFAULT '{}';

-- AlterTable
ALTER TABLE "projections" DROP COLUMN "events_processed",
DROP COLUMN "position",
DROP COLUMN "transaction_id",
ADD COLUMN     "error_since" TIMESTAMPTZ(6),
ADD COLUMN     "lanes" INTEGER NOT NULL DEFAULT 1,
ADD COLUMN     "version" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "dead_letters" (
    "projection" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "stream_id" UUID NOT NULL,
    "stream_version" INTEGER NOT NULL,
    "lane" INTEGER NOT NULL,
    "transaction_id" BIGINT NOT NULL,
    "position" BIGINT NOT NULL,
    "event_type" TEXT NOT NULL,
    "error" TEXT,
    "stack" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "first_failed_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_failed_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "dead_letters_pkey" PRIMARY KEY ("projection","tenant_id","stream_id","stream_version")
);

-- CreateTable
CREATE TABLE "skipped_events" (
    "projection" TEXT NOT NULL,
    "position" BIGINT NOT NULL,
    "transaction_id" BIGINT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "stream_id" UUID NOT NULL,
    "stream_version" INTEGER NOT NULL,
    "event_type" TEXT NOT NULL,
    "error" TEXT,
    "skipped_by" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "skipped_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "skipped_events_pkey" PRIMARY KEY ("projection","position")
);

-- CreateTable
CREATE TABLE "leases" (
    "name" TEXT NOT NULL,
    "holder" TEXT NOT NULL,
    "acquired_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "renewed_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "leases_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "worker_heartbeats" (
    "worker_id" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "host" TEXT NOT NULL,
    "started_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "seen_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "publisher" BOOLEAN NOT NULL DEFAULT false,
    "info" JSONB NOT NULL,

    CONSTRAINT "worker_heartbeats_pkey" PRIMARY KEY ("worker_id")
);

-- CreateIndex
CREATE INDEX "dead_letters_lane_idx" ON "dead_letters"("projection", "lane");

-- CreateIndex
CREATE INDEX "dead_letters_position_idx" ON "dead_letters"("projection", "position");
