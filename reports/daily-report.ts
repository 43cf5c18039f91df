import type { Logger } from '../config/logger';
import type { ReportSettings } from '../config/report-settings';
import { localDay, localHour, previousLocalDay, type ReportPeriod } from './report-period';

const REPORT_NAME = 'daily';
const CHECK_INTERVAL_MS = 60_000;

export type DailyCheck = 'off' | 'not_yet' | 'already_sent' | 'sent' | 'failed';

export interface DailyReportDeps {
  settings: ReportSettings;
  /** Claims a local day for a report: true for exactly one caller (store/report-store.ts). */
  claimDay: (name: string, day: string) => Promise<boolean>;
  /** Sends the report of the period to the super admins. */
  send: (period: ReportPeriod) => Promise<void>;
  logger: Logger;
  now?: () => number;
  checkIntervalMs?: number;
}

/**
 * The daily report: once the configured local hour has come, the first check of the day claims
 * the day in the database and sends the previous day's report; any later check that day, in this
 * process after a restart or in another instance, finds the day claimed. A day's report whose
 * sending fails is not tried again (a report twice is worse than a report missed; the log says so).
 * A service down at the hour sends it when it starts again, the same day.
 */
export class DailyReport {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<DailyCheck> | undefined;

  constructor(private readonly deps: DailyReportDeps) {}

  start(): void {
    if (this.deps.settings.dailyHour === null || this.timer) return;
    void this.checkNow();
    this.timer = setInterval(() => void this.checkNow(), this.deps.checkIntervalMs ?? CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One check: sends the report when it is due and this caller wins the day. */
  checkNow(): Promise<DailyCheck> {
    // One check at a time: a slow send must not overlap the next tick's.
    this.running ??= this.check().finally(() => { this.running = undefined; });
    return this.running;
  }

  private async check(): Promise<DailyCheck> {
    const { settings, logger } = this.deps;
    if (settings.dailyHour === null) return 'off';
    const now = this.deps.now?.() ?? Date.now();
    if (localHour(now, settings.timeZone) < settings.dailyHour) return 'not_yet';
    const today = localDay(now, settings.timeZone);
    try {
      if (!await this.deps.claimDay(REPORT_NAME, today)) return 'already_sent';
      await this.deps.send(previousLocalDay(now, settings.timeZone));
      logger.info('daily report sent', { day: today });
      return 'sent';
    } catch (err) {
      logger.error('daily report failed; the next one goes out tomorrow at the same hour', { day: today, err });
      return 'failed';
    }
  }
}
