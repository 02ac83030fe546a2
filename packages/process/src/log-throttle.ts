// During an outage every connection, queue and retry loop reports the same error many times a
// second; an operator needs the first report, then a reminder with a count, not thousands of lines.

export type WarnFn = (fields: Record<string, unknown>, message: string) => void;

/**
 * Wraps a logger's warn: each message is logged the first time, then at most once per
 * `intervalMs`, with `suppressed` counting the reports left out since the last line.
 */
export function throttledWarn(warn: WarnFn, intervalMs = 10_000, now: () => number = Date.now): WarnFn {
  const last = new Map<string, { at: number; suppressed: number }>();
  return (fields, message) => {
    const entry = last.get(message);
    const at = now();
    if (entry && at - entry.at < intervalMs) {
      entry.suppressed++;
      return;
    }
    last.set(message, { at, suppressed: 0 });
    warn(entry?.suppressed ? { ...fields, suppressed: entry.suppressed } : fields, message);
  };
}
