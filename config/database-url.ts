/** Which database a DATABASE_URL names; anything else is refused by its scheme's name before any connection is tried. */
export type DatabaseKind = { kind: 'sqlite'; file: string } | { kind: 'postgres' } | { kind: 'unsupported'; scheme?: string };

export function databaseKind(url: string): DatabaseKind {
  if (/^sqlite:.+/.test(url)) return { kind: 'sqlite', file: url.slice('sqlite:'.length) };
  if (/^postgres(ql)?:\/\/.+/.test(url)) return { kind: 'postgres' };
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url)?.[1]?.toLowerCase();
  return scheme ? { kind: 'unsupported', scheme } : { kind: 'unsupported' };
}

export const SUPPORTED_DATABASES = 'sqlite:<path> or postgres://user:pass@host:port/db';

/** The sentence for a DATABASE_URL callbot cannot use (it never includes the URL: it may hold a password). */
export function unsupportedDatabase(kind: Extract<DatabaseKind, { kind: 'unsupported' }>): string {
  return kind.scheme && kind.scheme !== 'sqlite'
    ? `${kind.scheme} is not supported; expects ${SUPPORTED_DATABASES}`
    : `expects ${SUPPORTED_DATABASES}`;
}

/**
 * Why callbot cannot use a DATABASE_URL, or undefined when it can; the same check for the service
 * and `npm run migrate`. Never quotes the URL: it may hold a password.
 */
export function databaseUrlProblem(url: string): string | undefined {
  const kind = databaseKind(url);
  if (kind.kind === 'unsupported') return unsupportedDatabase(kind);
  if (kind.kind === 'postgres' && !parsesAsUrl(url)) {
    return `is not a valid postgres:// URL (check the host, that the port is a number from 1 to 65535, and that special characters in the password are percent-encoded); expects ${SUPPORTED_DATABASES}`;
  }
  return undefined;
}

function parsesAsUrl(url: string): boolean {
  try {
    new URL(url);
    return true;
  } catch {
    return false;
  }
}
