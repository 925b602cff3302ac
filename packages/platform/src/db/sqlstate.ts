/** The SQLSTATE of a database error, from PostgreSQL (pg) and PGlite alike. */
export function pgCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
