import { type DataSource, In, IsNull, type Repository } from 'typeorm';
import { ApiKey } from '../entities';
import { violatesUniqueIndex } from './unique-violation';

export type NewApiKey = Pick<ApiKey, 'name' | 'tokenHash' | 'scopes' | 'ratePerMin' | 'createdBy'>;

/** The HTTP API's keys: made, listed, revoked; only their tokens' hashes are kept. */
export class ApiKeyStore {
  private readonly keys: Repository<ApiKey>;

  constructor(dataSource: DataSource) {
    this.keys = dataSource.getRepository(ApiKey);
  }

  /** The new key, or `name_taken` when a key (revoked ones included) has that name. */
  async add(key: NewApiKey): Promise<ApiKey | 'name_taken'> {
    // One INSERT, not save(): on SQLite's one connection a failed save's transaction rolls back concurrent writes.
    try {
      await this.keys.insert({ ...key, revokedAt: null });
    } catch (err) {
      if (violatesUniqueIndex(err, { name: 'uq_api_keys_name', table: 'api_keys', columns: ['name'] })) return 'name_taken';
      throw err;
    }
    const added = await this.byName(key.name);
    if (!added) throw new Error(`the API key ${key.name} was written but cannot be read back; check the database`);
    return added;
  }

  byName(name: string): Promise<ApiKey | null> {
    return this.keys.findOneBy({ name });
  }

  /** Every key, oldest first, revoked ones included. */
  list(): Promise<ApiKey[]> {
    return this.keys.find({ order: { id: 'ASC' } });
  }

  /** Revokes a live key; false when there is none of that name (or it was revoked already). */
  async revoke(name: string, at: Date): Promise<boolean> {
    const result = await this.keys.update({ name, revokedAt: IsNull() }, { revokedAt: at });
    return (result.affected ?? 0) > 0;
  }

  /** The names of these keys, by id (revoked ones included). */
  async namesOf(ids: readonly number[]): Promise<Map<number, string>> {
    if (ids.length === 0) return new Map();
    const keys = await this.keys.find({ select: { id: true, name: true }, where: { id: In([...new Set(ids)]) } });
    return new Map(keys.map((k) => [k.id, k.name]));
  }
}
