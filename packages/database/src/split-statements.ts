export interface ScriptStatement {
  /** The statement's text, without the semicolon that ends it. */
  sql: string;
  /** Where it starts in the script, in characters, for error positions. */
  offset: number;
}

/**
 * Splits a migration script into its statements with PostgreSQL's own parser (libpg_query), so
 * dollar quotes, `BEGIN ATOMIC` bodies and comments containing semicolons stay whole. A script it
 * cannot parse comes back whole, as Prisma's schema engine does: the server then reports the error.
 * The parser (WebAssembly) is loaded on first use only, since most scripts never need splitting.
 */
export async function splitStatements(script: string): Promise<ScriptStatement[]> {
  const { parse } = await import("libpg-query");
  let stmts;
  try {
    stmts = (await parse(script)).stmts ?? [];
  } catch {
    return [{ sql: script, offset: 0 }];
  }
  // libpg_query reports byte positions in the UTF-8 text.
  const bytes = Buffer.from(script, "utf8");
  const statements: ScriptStatement[] = [];
  for (const stmt of stmts) {
    const start = stmt.stmt_location ?? 0;
    const end = stmt.stmt_len ? start + stmt.stmt_len : bytes.length;
    const sql = bytes.subarray(start, end).toString("utf8");
    if (sql.trim() === "") continue;
    statements.push({ sql, offset: bytes.subarray(0, start).toString("utf8").length });
  }
  return statements;
}
