/**
 * SIGTERM or SIGINT: run `close` once, then exit 0 (or 1 when closing failed, after `onFailure`).
 * For the small servers the benchmarks start (the no-I/O ceiling, the owner-reads baseline).
 */
export function exitOnSignals(close: () => Promise<unknown>, onFailure: (error: unknown) => void): void {
  const stop = () => {
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        onFailure(error);
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}
