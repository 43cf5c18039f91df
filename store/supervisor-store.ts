import type { DataSource, Repository } from 'typeorm';
import { Supervisor } from '../entities';

/** The supervisors super admins allowed (`/supervisors`), by Telegram id. */
export class SupervisorStore {
  private readonly rows: Repository<Supervisor>;

  constructor(dataSource: DataSource) {
    this.rows = dataSource.getRepository(Supervisor);
  }

  byTelegramId(telegramId: string): Promise<Supervisor | null> {
    return this.rows.findOneBy({ telegramId });
  }

  list(): Promise<Supervisor[]> {
    return this.rows.find({ order: { addedAt: 'ASC', telegramId: 'ASC' } });
  }

  /** Adds a supervisor, or gives one already there the new phone; true when they were new. */
  async put(telegramId: string, phone: string, addedBy: string): Promise<boolean> {
    const existing = await this.rows.findOneBy({ telegramId });
    if (existing) {
      await this.rows.update({ telegramId }, { phone });
      return false;
    }
    await this.rows.insert({ telegramId, phone, addedBy });
    return true;
  }

  /** True when there was one to remove. */
  async remove(telegramId: string): Promise<boolean> {
    const result = await this.rows.delete({ telegramId });
    return (result.affected ?? 0) > 0;
  }
}
