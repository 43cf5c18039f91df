import type { DataSource } from 'typeorm';
import { silentLogger } from '../../config/logger';
import { PartyRequests } from '../../cluster/party-requests';
import { KEEP_REQUESTS_MS, RequestPruning } from '../../cluster/request-pruning';
import { SupervisionRequests } from '../../cluster/supervision-requests';
import { openDatabase } from '../../store/data-source';
import { closeDatabase, freshDatabaseUrl, testDatabaseKind } from '../support/test-database';

const HOUR = 3_600_000;

/**
 * The cluster's transfer and supervision requests are a queue between instances: once answered,
 * withdrawn, ended or left unclaimed for a day, their rows are deleted, and nothing younger or still
 * owed an end is.
 */
describe(`cluster requests pruned once old, on ${testDatabaseKind()}`, () => {
  let dataSource: DataSource;

  beforeEach(async () => {
    ({ dataSource } = await openDatabase(await freshDatabaseUrl()));
  });

  afterEach(async () => {
    await closeDatabase(dataSource);
  });

  const p = (i: number) => dataSource.driver.createParameter(`p${i}`, i);
  const ago = (ms: number) => String(Date.now() - ms);
  const ids = async (table: string) => ((await dataSource.query(`SELECT id FROM ${table}`)) as Array<{ id: string }>).map((r) => r.id).sort();

  async function partyRequest(id: string, stage: 'requested' | 'answered' | 'withdrawn', requestedAt: string, answeredAt: string | null, ownerToken: string | null = null) {
    await dataSource.query(
      `INSERT INTO party_requests (id, call_id, server_id, requester_telegram_id, requester_agent_id, requester_is_admin, mode, target_agent_id, target_number, stage, answer, owner_token, requested_at, answered_at)
       VALUES (${[...Array(14).keys()].map(p).join(', ')})`,
      [id, 'call-1', 'pbx-1', '700', 7, false, 'cold', 9, null, stage, stage === 'answered' ? '{"ok":true}' : null, ownerToken, requestedAt, answeredAt]);
  }

  let supervisors = 3000;
  async function supervisionRequest(id: string, stage: 'requested' | 'active' | 'ended', requestedAt: string, endedAt: string | null, ownerToken: string | null) {
    // One supervision not ended per supervisor: each row has its own.
    const supervisor = String(supervisors += 1);
    await dataSource.query(
      `INSERT INTO supervision_requests (id, call_id, server_id, supervisor_telegram_id, chat_id, agent_label, stage, mode, modes, leave_requested, owner_token, requested_at, ended_at)
       VALUES (${[...Array(13).keys()].map(p).join(', ')})`,
      [id, 'call-1', 'pbx-1', supervisor, supervisor, 'Ann', stage, 'listen', '', false, ownerToken, requestedAt, endedAt]);
  }

  it('given transfer requests answered, withdrawn or never answered a day ago and others younger, when pruned, then only the day-old ones are deleted', async () => {
    const day = KEEP_REQUESTS_MS + HOUR;
    await partyRequest('old-answered', 'answered', ago(day), ago(day));
    await partyRequest('old-withdrawn', 'withdrawn', ago(day), ago(day));
    await partyRequest('old-unclaimed', 'requested', ago(day), null);
    await partyRequest('old-claimed-unanswered', 'requested', ago(day), null, '3');
    await partyRequest('young-answered', 'answered', ago(HOUR), ago(HOUR));
    await partyRequest('young-waiting', 'requested', ago(60_000), null);
    await partyRequest('old-request-answered-lately', 'answered', ago(day), ago(HOUR));

    expect(await new PartyRequests(dataSource).prune(KEEP_REQUESTS_MS)).toBe(4);

    expect(await ids('party_requests')).toEqual(['old-request-answered-lately', 'young-answered', 'young-waiting']);
  });

  it('given supervisions ended a day ago, a request no owner claimed for a day, and ones younger or still owed their end, when the periodic pruning runs, then only the ended and the unclaimed day-old ones are deleted', async () => {
    const day = KEEP_REQUESTS_MS + HOUR;
    await supervisionRequest('old-ended', 'ended', ago(day), ago(day), '3');
    await supervisionRequest('old-unclaimed', 'requested', ago(day), null, null);
    await supervisionRequest('old-claimed-not-ended', 'requested', ago(day), null, '3');
    await supervisionRequest('old-active', 'active', ago(day), null, '3');
    await supervisionRequest('young-ended', 'ended', ago(day), ago(HOUR), '3');
    await supervisionRequest('young-unclaimed', 'requested', ago(60_000), null, null);
    const pruning = new RequestPruning({
      tables: { party_requests: new PartyRequests(dataSource), supervision_requests: new SupervisionRequests(dataSource) }, logger: silentLogger(),
    });

    await pruning.pruneOnce();

    expect(await ids('supervision_requests')).toEqual(['old-active', 'old-claimed-not-ended', 'young-ended', 'young-unclaimed']);
  });
});
