/**
 * A stream's lane in a projection of `lanes` lanes. The hash is stored with every event
 * (events.stream_hash, 28 bits), so a stream always maps to the same lane for a given count, and
 * SQL can filter a lane without hashing (`stream_hash % lanes = lane`).
 */
export function laneOf(streamHash: number, lanes: number): number {
  return streamHash % lanes;
}

/** The lanes 0..lanes-1. */
export function laneNumbers(lanes: number): number[] {
  return Array.from({ length: lanes }, (_, lane) => lane);
}
