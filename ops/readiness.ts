/** One dependency's answer to the readiness probe. */
export interface CheckResult {
  ok: boolean;
  detail: string;
}

/** A named dependency the service needs to do its job. */
export type ReadinessCheck = () => CheckResult | Promise<CheckResult>;

/** How long the database may take to answer `SELECT 1` before the probe calls it unreachable. */
const DATABASE_CHECK_TIMEOUT_MS = 1000;

/** The database answers a trivial query in time. */
export function databaseCheck(db: { query(sql: string): Promise<unknown> }, timeoutMs = DATABASE_CHECK_TIMEOUT_MS): ReadinessCheck {
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<CheckResult>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, detail: `no answer to SELECT 1 within ${timeoutMs} ms` }), timeoutMs);
    });
    const answered = db.query('SELECT 1').then(
      (): CheckResult => ({ ok: true, detail: 'reachable' }),
      (err: unknown): CheckResult => ({ ok: false, detail: err instanceof Error ? err.message : String(err) }),
    );
    try {
      return await Promise.race([answered, late]);
    } finally {
      clearTimeout(timer);
    }
  };
}

/** The ARI event connection is up: without it no call can be placed. */
export function ariCheck(ari: { isConnected(): boolean }): ReadinessCheck {
  return () => (ari.isConnected() ? { ok: true, detail: 'connected' } : { ok: false, detail: 'not connected' });
}

/**
 * Cluster mode: calls can be placed while at least one Asterisk server is owned and connected; the
 * detail names each server's state, so a down server shows here without making the instance unready.
 */
export function serversCheck(servers: () => Promise<readonly { id: string; connected: boolean; ownedHere: boolean }[]>): ReadinessCheck {
  return async () => {
    const states = await servers();
    const detail = states.map((s) => `${s.id} ${s.connected ? 'connected' : 'down'}${s.ownedHere ? ' (owned here)' : ''}`).join(', ');
    return { ok: states.some((s) => s.connected), detail };
  };
}

/** Every check's answer, run together; ready only when all of them are. */
export async function readiness(checks: Readonly<Record<string, ReadinessCheck>>): Promise<{ ready: boolean; checks: Record<string, CheckResult> }> {
  const names = Object.keys(checks);
  const results = await Promise.all(names.map(async (name): Promise<CheckResult> => {
    try {
      return await checks[name]!();
    } catch (err) {
      return { ok: false, detail: err instanceof Error ? err.message : String(err) };
    }
  }));
  const byName: Record<string, CheckResult> = {};
  names.forEach((name, i) => { byName[name] = results[i]!; });
  return { ready: results.every((r) => r.ok), checks: byName };
}
