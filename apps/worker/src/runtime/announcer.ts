// After a commit, workers say so on Redis pub/sub: how far a lane or the publisher got (gateways
// wait on it for read-your-writes), and, for a projection that announces its changes, which rows
// changed (gateways push them to subscribers). Ids, versions and event types only: never a row's
// data. Pub/sub is at most once; a message lost while Redis is away is made up by the gateways'
// own fallback (they re-read the positions), so nothing here waits or retries.
import type { Redis } from "ioredis";
import { projectionProgressChannel, streamChangesChannel } from "@coop/config";
import { encodeProgress, encodeStreamChanges, streamChangesOf, type PublisherState } from "@coop/projection-state";
import type { ProjectionDefinition } from "../projections/types";
import type { LaneCommit } from "./projector";

export class Announcer {
  private readonly progressChannel: string;

  constructor(
    private readonly redis: Redis,
    private readonly queuePrefix: string,
  ) {
    this.progressChannel = projectionProgressChannel(queuePrefix);
  }

  /** A lane's transaction committed. */
  laneCommitted(projection: ProjectionDefinition, commit: LaneCommit): void {
    if (projection.announcesChanges && commit.events.length > 0) {
      this.publish(streamChangesChannel(this.queuePrefix, projection.name), encodeStreamChanges(streamChangesOf(commit.events)));
    }
    if (commit.checkpoint) {
      const { lane, version, lanes, checkpoint } = commit;
      this.publish(this.progressChannel, encodeProgress({ kind: "lane", projection: projection.name, version, lanes, lane, checkpoint }));
    }
  }

  /** The publisher's row committed as `state`. */
  publisherSaved(state: PublisherState): void {
    this.publish(this.progressChannel, encodeProgress({ kind: "publisher", state }));
  }

  private publish(channel: string, message: string): void {
    // Not connected: nothing is queued up for later (it would be stale); the gateways fall back.
    if (this.redis.status !== "ready") return;
    this.redis.publish(channel, message).catch(() => undefined);
  }
}
