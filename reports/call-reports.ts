import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ReportSettings } from '../config/report-settings';
import type { AuditLog, CallLegStore, ReportStore } from '../store';
import type { CallRange } from '../store/report-store';
import { type RecordingsPresent, noRecordings, writeCallsCsv } from './call-export';
import { addCalls, type CallStats, emptyStats, finishStats } from './call-stats';
import type { ChartRenderer } from './chart-renderer';
import { localHour, type ReportPeriod } from './report-period';
import { type ChartWords, STATS_CHART_SIZE, statsChartOption } from './stats-chart';

export interface CallReportsDeps {
  reports: ReportStore;
  legs: Pick<CallLegStore, 'legsOf'>;
  audit: AuditLog;
  settings: ReportSettings;
  chart: ChartRenderer;
  /** Which calls have a recording kept; the recording capability supplies it. */
  recordingsPresent?: RecordingsPresent;
}

/** A period's figures and the names of the agents in them. */
export interface PeriodStats {
  period: ReportPeriod;
  stats: CallStats;
  agentNames: Map<number, string>;
}

/** The reports on calls: the CSV export, the figures of a period and their chart. Answers are facts; the bot words them. */
export class CallReports {
  constructor(private readonly deps: CallReportsDeps) {}

  /**
   * The calls of a range as a CSV file handed to `deliver` (which sends it), then deleted; audited
   * with who asked and what. 'empty' when there are no calls in the range (no file is made).
   */
  async exportCsv(by: string, range: CallRange, fileName: string, deliver: (file: string, written: number) => Promise<boolean>): Promise<{ written: number; delivered: boolean } | 'empty'> {
    const { reports, legs } = this.deps;
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'callbot-calls-export-'));
    try {
      const file = path.join(dir, fileName);
      const written = await writeCallsCsv({
        pages: (r) => reports.callPages(r), agentsByIds: (ids) => reports.agentsByIds(ids), legsOf: (ids) => legs.legsOf(ids),
        recordingsPresent: this.deps.recordingsPresent ?? noRecordings,
      }, range, file);
      if (written === 0) return 'empty';
      const delivered = await deliver(file, written);
      const whose = range.agentId === undefined ? 'all agents' : `agent #${range.agentId}`;
      await this.deps.audit.record({
        actor: by, action: 'calls_export', subject: String(written),
        details: `${range.from.toISOString()} to ${range.to.toISOString()}, ${whose}${delivered ? '' : ', not delivered'}`,
      });
      return { written, delivered };
    } finally {
      await fs.promises.rm(dir, { recursive: true, force: true });
    }
  }

  /** The figures of a period, counted in the report time zone, read a page of calls at a time. */
  async periodStats(period: ReportPeriod): Promise<PeriodStats> {
    const { reports, settings } = this.deps;
    let stats = emptyStats();
    for await (const page of reports.callPages({ from: period.from, to: period.to })) {
      stats = addCalls(stats, page, (at) => localHour(at.getTime(), settings.timeZone));
    }
    stats = finishStats(stats);
    const agents = await reports.agentsByIds(stats.agents.map((a) => a.agentId));
    const agentNames = new Map([...agents].map(([id, a]) => [id, a.displayName || a.telegramId]));
    return { period, stats, agentNames };
  }

  /** The figures' chart as a PNG, rendered off the event loop. */
  chartPng({ stats, agentNames }: PeriodStats, words: ChartWords): Promise<Buffer> {
    return this.deps.chart.render(statsChartOption(stats, agentNames, words), STATS_CHART_SIZE);
  }
}
