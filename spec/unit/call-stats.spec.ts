import { PNG } from 'pngjs';
import type { Call } from '../../entities';
import { addCalls, answerRate, emptyStats, finishStats } from '../../reports/call-stats';
import { ChartRenderer } from '../../reports/chart-renderer';
import { localDay, previousLocalDay, startOfLocalDay, statsPeriod } from '../../reports/report-period';
import { STATS_CHART_SIZE, renderChartPng, statsChartOption } from '../../reports/stats-chart';
import { REPORT_TEXT } from '../../telegram/texts';

const at = (h: number, m = 0) => new Date(Date.UTC(2026, 11, 6, h, m));

function call(agentId: number, requestedAt: Date, talkS: number | null, outcome: Call['outcome'] = talkS === null ? 'target_no_answer' : 'completed'): Call {
  const connectedAt = talkS === null ? null : new Date(requestedAt.getTime() + 5000);
  return { agentId, requestedAt, connectedAt, endedAt: new Date((connectedAt ?? requestedAt).getTime() + (talkS ?? 20) * 1000), outcome } as Call;
}

/** The distinct colours of a decoded PNG. */
function colours(png: PNG): Set<number> {
  const seen = new Set<number>();
  for (let i = 0; i < png.data.length; i += 4) seen.add(png.data.readUInt32BE(i));
  return seen;
}

describe('the figures of a period', () => {
  it('given placed, unanswered and refused calls over two pages, then refused ones are left out and the rest counted by hour and agent, most talk first', () => {
    let stats = addCalls(emptyStats(), [call(1, at(9, 5), 60), call(1, at(9, 40), null), call(2, at(14), 300)], (d) => d.getUTCHours());
    stats = finishStats(addCalls(stats, [call(2, at(14, 30), null, 'refused'), call(1, at(23, 59), 30)], (d) => d.getUTCHours()));

    expect({ calls: stats.calls, answered: stats.answered, talk: stats.talkSeconds }).toEqual({ calls: 4, answered: 3, talk: 390 });
    expect(answerRate(stats)).toBe(0.75);
    expect(stats.byHour[9]).toEqual({ calls: 2, answered: 1 });
    expect(stats.byHour[14]).toEqual({ calls: 1, answered: 1 });
    expect(stats.byHour[23]).toEqual({ calls: 1, answered: 1 });
    expect(stats.agents).toEqual([
      { agentId: 2, calls: 1, answered: 1, talkSeconds: 300 },
      { agentId: 1, calls: 3, answered: 2, talkSeconds: 90 },
    ]);
  });

  it('given no calls, then the answer rate is 0, not NaN', () => {
    expect(answerRate(emptyStats())).toBe(0);
  });

  it('given a time zone, then today starts at local midnight, the week six local days before, and the daily report covers the day before', () => {
    const now = Date.UTC(2026, 11, 6, 3, 30); // 22:30 on the 5th in New York
    expect(localDay(now, 'America/New_York')).toBe('2026-12-05');
    expect(statsPeriod('today', now, 'America/New_York')).toMatchObject({ from: new Date(Date.UTC(2026, 11, 5, 5)), firstDay: '2026-12-05' });
    expect(statsPeriod('week', now, 'America/New_York')).toMatchObject({ from: new Date(Date.UTC(2026, 10, 29, 5)), firstDay: '2026-11-29', lastDay: '2026-12-05' });
    expect(previousLocalDay(now, 'Europe/Berlin')).toEqual({
      from: new Date(Date.UTC(2026, 11, 4, 23)), to: new Date(Date.UTC(2026, 11, 5, 23)), firstDay: '2026-12-05', lastDay: '2026-12-05',
    });
  });

  it('given a day when clocks go forward, then its start is still local midnight', () => {
    // Europe/Berlin springs forward on 2026-03-29 at 02:00: midnight is 23:00 UTC the day before.
    expect(new Date(startOfLocalDay(Date.UTC(2026, 2, 29, 20), 'Europe/Berlin')).toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(new Date(startOfLocalDay(Date.UTC(2026, 2, 30, 20), 'Europe/Berlin')).toISOString()).toBe('2026-03-29T22:00:00.000Z');
  });
});

describe('the statistics chart', () => {
  const stats = finishStats(addCalls(emptyStats(), [call(1, at(9), 60), call(2, at(10), null), call(2, at(10, 30), 200)], (d) => d.getUTCHours()));
  const option = statsChartOption(stats, new Map([[1, 'Ann'], [2, 'Bob']]), REPORT_TEXT.chart('📊 Calls today'));

  it('given the figures, when rendered, then it is a PNG of the chart size with more than one colour', () => {
    const png = PNG.sync.read(renderChartPng(option, STATS_CHART_SIZE));
    expect([png.width, png.height]).toEqual([STATS_CHART_SIZE.width, STATS_CHART_SIZE.height]);
    expect(colours(png).size).toBeGreaterThan(5);
  });

  it('given the renderer, when two charts are asked for at once, then both come from its worker thread as PNGs, and it closes', async () => {
    const renderer = new ChartRenderer();
    try {
      const [a, b] = await Promise.all([renderer.render(option, { width: 600, height: 400 }), renderer.render(option, STATS_CHART_SIZE)]);
      expect([PNG.sync.read(a!).width, PNG.sync.read(b!).width]).toEqual([600, STATS_CHART_SIZE.width]);
    } finally {
      await renderer.close();
    }
  }, 20_000);
});
