import { ariCheck, databaseCheck, readiness } from '../../ops/readiness';

describe('readiness checks', () => {
  it('given a database that answers SELECT 1, then it is reachable', async () => {
    const asked: string[] = [];
    expect(await databaseCheck({ query: async (sql) => { asked.push(sql); return [{ 1: 1 }]; } })()).toEqual({ ok: true, detail: 'reachable' });
    expect(asked).toEqual(['SELECT 1']);
  });

  it('given a database that refuses, then the check fails with its error', async () => {
    expect(await databaseCheck({ query: async () => { throw new Error('SQLITE_CANTOPEN'); } })()).toEqual({ ok: false, detail: 'SQLITE_CANTOPEN' });
  });

  it('given a database that does not answer in time, then the check fails without waiting for it', async () => {
    const result = await databaseCheck({ query: () => new Promise(() => undefined) }, 20)();
    expect(result).toEqual({ ok: false, detail: 'no answer to SELECT 1 within 20 ms' });
  });

  it('given ARI connected or not, then the check says so', () => {
    expect(ariCheck({ isConnected: () => true })()).toEqual({ ok: true, detail: 'connected' });
    expect(ariCheck({ isConnected: () => false })()).toEqual({ ok: false, detail: 'not connected' });
  });

  it('given one check failing (or throwing), then not ready, and every check is named', async () => {
    const result = await readiness({
      database: () => ({ ok: true, detail: 'reachable' }),
      ari: () => ({ ok: false, detail: 'not connected' }),
      telegram: () => { throw new Error('boom'); },
    });
    expect(result).toEqual({
      ready: false,
      checks: { database: { ok: true, detail: 'reachable' }, ari: { ok: false, detail: 'not connected' }, telegram: { ok: false, detail: 'boom' } },
    });
  });
});
