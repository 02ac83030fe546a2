/**
 * Whether an error comes from the infrastructure rather than from the events: the database or the
 * network away, a session ended by the server, the pool out of connections. Such a fault is
 * waited out, never blamed on an event (no stream is parked for it).
 */
export function isInfrastructureError(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown; errno?: unknown } | null;
  if (!e || typeof e !== "object") return false;
  const code = typeof e.code === "string" ? e.code : "";
  // SQLSTATE class 08 (connection), 57P01-57P03 (shutdown, crash, cannot connect now), 53300 (too
  // many connections), 25P03 (idle-in-transaction timeout ended the session).
  if (/^08/.test(code) || ["57P01", "57P02", "57P03", "53300", "25P03"].includes(code)) return true;
  // Node's socket errors.
  if (["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"].includes(code)) return true;
  const message = typeof e.message === "string" ? e.message : "";
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection is closed|terminating connection/i.test(message);
}

// Words after which PostgreSQL quotes a name of ours (kept: they say where), not a value.
const NAMED = /\b(relation|constraint|column|table|index|type|function|schema|role|database|enum|sequence|view|trigger|operator|collation|extension|publication|savepoint|cursor|statement|portal|parameter)\s*$/i;

/**
 * An error text fit for a log line or a dead letter: PostgreSQL quotes the offending value in its
 * messages (`invalid input syntax for type date: "…"`), and a value may be personal data. Every
 * quoted segment is replaced by `"…"`, except names of relations, columns, types and the like.
 */
export function redactValues(text: string): string {
  return text.replace(/"((?:[^"]|"")*)"/g, (quoted, _inner, offset: number) => (NAMED.test(text.slice(Math.max(0, offset - 40), offset)) ? quoted : '"…"'));
}
