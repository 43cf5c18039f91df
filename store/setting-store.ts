import type { DataSource, Repository } from 'typeorm';
import { Setting } from '../entities';

/** The settings table: values super admins set from Telegram, each under its key, overriding configuration. */
export class SettingStore {
  private readonly settings: Repository<Setting>;

  constructor(dataSource: DataSource) {
    this.settings = dataSource.getRepository(Setting);
  }

  async get(key: string): Promise<Setting | null> {
    return this.settings.findOneBy({ key });
  }

  /** Every setting whose key starts with `prefix`. */
  async withPrefix(prefix: string): Promise<Setting[]> {
    const all = await this.settings.find({ order: { key: 'ASC' } });
    return all.filter((s) => s.key.startsWith(prefix));
  }

  /** Sets a value; the previous one, or null. */
  async set(key: string, value: string, by: string): Promise<string | null> {
    const previous = await this.get(key);
    await this.settings.upsert({ key, value, updatedBy: by.slice(0, 20) }, ['key']);
    return previous?.value ?? null;
  }
}
