import { type DataSource, MoreThanOrEqual, type Repository } from 'typeorm';
import { ApiCallRequest, type ApiCallRequestState } from '../entities';
import { violatesUniqueIndex } from './unique-violation';

export type NewApiCallRequest = Omit<ApiCallRequest, 'createdAt' | 'callId'> & { callId?: string | null };

/**
 * Calls asked for through the HTTP API, one row per key and Idempotency-Key. Each change of state is
 * one conditional UPDATE that says whether it happened: of two taps on one prompt, one places it.
 */
export class ApiCallRequestStore {
  private readonly rows: Repository<ApiCallRequest>;

  constructor(dataSource: DataSource) {
    this.rows = dataSource.getRepository(ApiCallRequest);
  }

  /** The new row, or the one already there for the same key and Idempotency-Key. */
  async add(request: NewApiCallRequest): Promise<{ added: true; row: ApiCallRequest } | { added: false; row: ApiCallRequest }> {
    // One INSERT, not save(): save wraps it in a transaction, and on SQLite's one connection a failed
    // one rolls back the concurrent request's insert with it.
    try {
      await this.rows.insert({ ...request, callId: request.callId ?? null });
    } catch (err) {
      if (!violatesUniqueIndex(err, { name: 'uq_api_call_requests_key_idempotency', table: 'api_call_requests', columns: ['key_id', 'idempotency_key'] })) throw err;
      const row = await this.byIdempotencyKey(request.keyId, request.idempotencyKey);
      if (!row) throw new Error('an API call request was refused as a duplicate, yet none is stored; try the request again', { cause: err });
      return { added: false, row };
    }
    const row = await this.byId(request.id);
    if (!row) throw new Error(`the API call request ${request.id} was written but cannot be read back; check the database`);
    return { added: true, row };
  }

  byIdempotencyKey(keyId: number, idempotencyKey: string): Promise<ApiCallRequest | null> {
    return this.rows.findOneBy({ keyId, idempotencyKey });
  }

  byId(id: string): Promise<ApiCallRequest | null> {
    return this.rows.findOneBy({ id });
  }

  /** Moves a request from one state to the next; true only for the one caller that moved it. */
  async move(id: string, from: ApiCallRequestState, to: ApiCallRequestState, change: Partial<Pick<ApiCallRequest, 'callId' | 'responseStatus' | 'responseBody'>> = {}): Promise<boolean> {
    const result = await this.rows.update({ id, state: from }, { state: to, ...change });
    return (result.affected ?? 0) > 0;
  }

  /** The requests made since `since`, oldest first (a restart re-derives their webhook events). */
  madeSince(since: Date): Promise<ApiCallRequest[]> {
    return this.rows.find({ where: { createdAt: MoreThanOrEqual(since) }, order: { createdAt: 'ASC' } });
  }
}
