/**
 * A migration problem, with the code Prisma reports for the same situation (P1002, P3005, P3009,
 * P3015, P3018, P3019).
 */
export class MigrationError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "MigrationError";
  }
}
