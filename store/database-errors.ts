import { causeText, isError } from '../config/retry-log';

/** The parts of a PostgreSQL URL that may be shown (never the password). */
function postgresTarget(url: string): { host: string; port: string; database: string; user: string } {
  try {
    const u = new URL(url);
    return {
      host: u.hostname || 'localhost', port: u.port || '5432',
      database: decodeURIComponent(u.pathname.replace(/^\//, '')) || '(default)',
      user: decodeURIComponent(u.username) || '(default)',
    };
  } catch {
    return { host: '?', port: '?', database: '?', user: '?' };
  }
}

/** The first `code` in an error, its causes and (for a host with several addresses) its inner errors. */
function errorCode(error: unknown, depth = 0): string | undefined {
  if (!isError(error) || depth > 5) return undefined;
  const own = error.code;
  if (typeof own === 'string') return own;
  if (Array.isArray(error.errors)) {
    for (const inner of error.errors) {
      const code = errorCode(inner, depth + 1);
      if (code) return code;
    }
  }
  return errorCode(error.cause, depth + 1);
}

/**
 * Why PostgreSQL could not be opened, in words an operator can act on, with the driver's own
 * reason after them; the driver's error stays the cause.
 */
export function postgresOpenError(url: string, error: unknown): Error {
  const { host, port, database, user } = postgresTarget(url);
  const reason = causeText(error);
  const code = errorCode(error);
  let what: string;
  switch (code) {
    case 'ECONNREFUSED': what = `nothing is listening on ${host}:${port} (is PostgreSQL running, on that port?)`; break;
    case 'ENOTFOUND': case 'EAI_AGAIN': what = `the host ${host} is not known`; break;
    case 'ETIMEDOUT': case 'EHOSTUNREACH': case 'ENETUNREACH': what = `${host}:${port} cannot be reached`; break;
    case '3D000': what = `PostgreSQL on ${host}:${port} has no database "${database}" (create it, or fix DATABASE_URL)`; break;
    case '28P01': what = `PostgreSQL refused the password of user "${user}"`; break;
    case '28000': what = `PostgreSQL refused the login of user "${user}" (no such role, or pg_hba.conf does not allow it)`; break;
    default:
      what = /timeout/i.test(reason) ? `${host}:${port} did not answer in time` : `PostgreSQL on ${host}:${port} refused the connection`;
  }
  return new Error(`cannot open the database (postgres): ${what}; the driver said: ${reason}`, { cause: error });
}

/** Why the SQLite file could not be opened; `file` is the path from DATABASE_URL. */
export function sqliteOpenError(file: string, error: unknown): Error {
  const code = errorCode(error);
  const what = code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? `the file ${file} is not writable by this process`
    : code === 'SQLITE_CANTOPEN' ? `the file ${file} cannot be opened or created` : `the file ${file} is not usable`;
  return new Error(`cannot open the database (sqlite): ${what}; the driver said: ${causeText(error)}`, { cause: error });
}

/** The SQLite file's directory cannot be created, or this process may not write in it. */
export function sqliteDirectoryError(dir: string, error: unknown): Error {
  const code = errorCode(error);
  const what = code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
    ? `the directory ${dir} is not writable by this process (user id ${process.getuid?.() ?? '?'})`
    : `the directory ${dir} cannot be created (set DATABASE_URL to a path where it can)`;
  return new Error(`cannot open the database (sqlite): ${what}; ${causeText(error)}`, { cause: error });
}
