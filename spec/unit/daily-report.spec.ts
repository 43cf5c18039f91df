import { silentLogger } from '../../config/logger';
import { loadConfig } from '../../config/config';
import { DailyReport } from '../../reports/daily-report';
import type { ReportPeriod } from '../../reports/report-period';

const BASE_ENV = { TELEGRAM_BOT_TOKEN: '1:a', SUPER_ADMIN_IDS: '1', ARI_USERNAME: 'u', ARI_PASSWORD: 'p' };

describe('the daily report', () => {
  function report(now: () => number, claim: (day: string) => Promise<boolean>, send: (p: ReportPeriod) => Promise<void>, dailyHour: number | null = 8) {
    return new DailyReport({ settings: { timeZone: 'America/New_York', dailyHour }, claimDay: (_name, day) => claim(day), send, logger: silentLogger(), now });
  }

  it('given the hour has not come in the report zone, then nothing is claimed; once it has, the day is claimed and the day before is sent', async () => {
    let now = Date.UTC(2026, 11, 6, 12, 59); // 07:59 in New York
    const claimed: string[] = [];
    const sent: ReportPeriod[] = [];
    const daily = report(() => now, async (day) => { claimed.push(day); return true; }, async (p) => { sent.push(p); });
    expect(await daily.checkNow()).toBe('not_yet');
    now = Date.UTC(2026, 11, 6, 13, 0);
    expect(await daily.checkNow()).toBe('sent');
    expect(claimed).toEqual(['2026-12-06']);
    expect(sent).toEqual([{ from: new Date(Date.UTC(2026, 11, 5, 5)), to: new Date(Date.UTC(2026, 11, 6, 5)), firstDay: '2026-12-05', lastDay: '2026-12-05' }]);
  });

  it('given the day claimed elsewhere, then nothing is sent; given a send that fails, then it says failed and is not retried by this check', async () => {
    const now = () => Date.UTC(2026, 11, 6, 20);
    let sends = 0;
    expect(await report(now, async () => false, async () => { sends += 1; }).checkNow()).toBe('already_sent');
    expect(await report(now, async () => true, async () => { sends += 1; throw new Error('Telegram down'); }).checkNow()).toBe('failed');
    expect(sends).toBe(1);
  });

  it('given no DAILY_REPORT_HOUR, then it is off', async () => {
    expect(await report(() => 0, async () => true, async () => undefined, null).checkNow()).toBe('off');
  });

  it('given the settings, then REPORT_TIME_ZONE defaults to UTC, DAILY_REPORT_HOUR is off unless set, and bad values are named', () => {
    expect(loadConfig(BASE_ENV).reports).toEqual({ timeZone: 'UTC', dailyHour: null });
    expect(loadConfig({ ...BASE_ENV, REPORT_TIME_ZONE: 'Europe/Berlin', DAILY_REPORT_HOUR: '0' }).reports).toEqual({ timeZone: 'Europe/Berlin', dailyHour: 0 });
    expect(() => loadConfig({ ...BASE_ENV, REPORT_TIME_ZONE: 'Mars/Olympus', DAILY_REPORT_HOUR: '24' })).toThrow(
      expect.objectContaining({ problems: [
        'REPORT_TIME_ZONE: expects an IANA time zone such as Europe/Berlin or America/New_York',
        'DAILY_REPORT_HOUR: expects a whole hour from 0 to 23',
      ] }),
    );
  });
});
