/**
 * Whether a write was refused by one unique index, in each driver's own terms: PostgreSQL names the
 * index (code 23505), SQLite names the index's columns in its message.
 */
export function violatesUniqueIndex(error: unknown, index: { name: string; table: string; columns: readonly string[] }): boolean {
  const sqliteColumns = `UNIQUE constraint failed: ${index.columns.map((c) => `${index.table}.${c}`).join(', ')}`;
  // Not `instanceof`: a native driver's errors may come from another realm (as under Jest).
  for (let e: unknown = error, depth = 0; typeof e === 'object' && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth += 1) {
    const { code, constraint, message } = e as { code?: unknown; constraint?: unknown; message?: unknown };
    if (code === '23505' && constraint === index.name) return true;
    if (code === 'SQLITE_CONSTRAINT' && typeof message === 'string' && isWholeMatch(message, sqliteColumns)) return true;
  }
  return false;
}

/** The message names exactly these columns, not these and more (another index's violation). */
function isWholeMatch(message: string, expected: string): boolean {
  const at = message.indexOf(expected);
  return at >= 0 && !/^[\w,.]/.test(message.slice(at + expected.length));
}
