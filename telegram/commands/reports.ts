import { InputFile } from 'node-telegram-bot-api';
import { fromPath } from 'node-telegram-bot-api/node';
import type { Document } from 'node-telegram-bot-api/types';
import { MAX_ONBOARDING_BYTES, MAX_ONBOARDING_LINES, onboardAgents, readAgentDocument } from '../../agents/agent-onboarding';
import type { PeriodStats } from '../../reports/call-reports';
import { type ReportPeriod, type StatsPeriodName, statsPeriod } from '../../reports/report-period';
import type { BackgroundJobs } from '../../ops/background-jobs';
import { downloadDocument } from '../document-download';
import type { BotDeps, Incoming } from '../handler-context';
import { REPORT_TEXT, T } from '../texts';

const DAY_MS = 86_400_000;
/** Progress edits of one message, well under Telegram's about one edit a second per message. */
const PROGRESS_EDIT_INTERVAL_MS = 3000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TELEGRAM_ID = /^[1-9]\d{0,19}$/;
/** Eight digits read as a date written without dashes (20261201), not as a Telegram id. */
const DATE_LIKE = /^(19|20)\d{6}$/;

/** A `YYYY-MM-DD` that names a real day, as the instant its UTC day begins; undefined otherwise. */
function utcDay(word: string): number | undefined {
  const m = DATE.exec(word);
  if (!m) return undefined;
  const at = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return new Date(at).toISOString().slice(0, 10) === word ? at : undefined;
}

const dayText = (at: number) => new Date(at).toISOString().slice(0, 10);

/**
 * /export [from] [to] [agent]: the calls requested on those UTC days (both included; none: today,
 * one: from that day to today) as a CSV document. Admins may name any agent or none (all); an agent
 * gets only the calls they placed, so naming anyone else is refused.
 */
export async function onExport(m: Incoming): Promise<void> {
  const words = m.args.split(/\s+/).filter(Boolean);
  const days: number[] = [];
  let agentWord: string | undefined;
  for (const word of words) {
    if (TELEGRAM_ID.test(word) && !DATE_LIKE.test(word)) {
      if (agentWord !== undefined) return void (await m.reply(REPORT_TEXT.exportUsage));
      agentWord = word;
      continue;
    }
    const day = utcDay(word);
    if (day === undefined) return void (await m.reply(REPORT_TEXT.badDate(word)));
    if (days.length === 2) return void (await m.reply(REPORT_TEXT.exportUsage));
    days.push(day);
  }
  const now = m.deps.now?.() ?? Date.now();
  const today = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), new Date(now).getUTCDate());
  const from = days[0] ?? today;
  const to = days[1] ?? today;
  if (from > to) return void (await m.reply(REPORT_TEXT.fromAfterTo(dayText(from), dayText(to))));

  let agentId: number | undefined;
  if (m.role.kind !== 'admin') {
    const self = m.role.kind === 'agent' ? m.role.agent : undefined;
    if (!self) return void (await m.reply(T.notAllowed));
    if (agentWord !== undefined && agentWord !== self.telegramId) return void (await m.reply(REPORT_TEXT.ownCallsOnly));
    agentId = self.id;
  } else if (agentWord !== undefined) {
    const agent = await m.deps.stores.agents.byTelegramId(agentWord);
    if (!agent) return void (await m.reply(REPORT_TEXT.unknownAgent(agentWord)));
    agentId = agent.id;
  }
  const fromText = dayText(from);
  const toText = dayText(to);
  const fileName = `calls-${fromText}-to-${toText}${agentWord ? `-agent-${agentWord}` : ''}.csv`;
  const range = { from: new Date(from), to: new Date(to + DAY_MS), ...(agentId !== undefined ? { agentId } : {}) };
  // A long range takes a while to read: the chat goes on answering meanwhile.
  m.deps.jobs.start(`export of calls ${fromText} to ${toText}`, async () => {
    try {
      const exported = await m.deps.reports.exportCsv(m.userId, range, fileName, async (file, written) => {
        const sent = await m.deps.out.sendDocument(m.chatId, await fromPath(file, { contentType: 'text/csv' }), REPORT_TEXT.exportCaption(written, fromText, toText));
        return sent !== undefined;
      });
      if (exported === 'empty') await m.reply(REPORT_TEXT.exportEmpty(fromText, toText));
      else if (!exported.delivered) await m.reply(REPORT_TEXT.exportFailed);
    } catch (err) {
      m.deps.logger.error('the export of calls failed', { err });
      await m.reply(REPORT_TEXT.exportFailed);
    }
  });
}

/** /stats [today|week]: a chart of the period (as a photo) and its key figures (as text). */
export async function onStats(m: Incoming): Promise<void> {
  const word = m.args.toLowerCase();
  if (word !== '' && word !== 'today' && word !== 'week') return void (await m.reply(REPORT_TEXT.statsUsage));
  const name: StatsPeriodName = word === 'week' ? 'week' : 'today';
  const period = statsPeriod(name, m.deps.now?.() ?? Date.now(), m.deps.config.reports.timeZone);
  await sendStats(m.deps, m.chatId, name, period);
}

/** The daily report: the previous local day's chart and figures, to every super admin. */
export async function sendDailyReport(deps: BotDeps, period: ReportPeriod): Promise<void> {
  const figures = await deps.reports.periodStats(period);
  for (const admin of deps.config.telegram.superAdminIds) await sendStats(deps, admin, 'day', period, figures);
}

async function sendStats(deps: BotDeps, chatId: number | string, name: StatsPeriodName | 'day', period: ReportPeriod, given?: PeriodStats): Promise<void> {
  const figures = given ?? await deps.reports.periodStats(period);
  const title = REPORT_TEXT.statsTitle(name, period, deps.config.reports.timeZone);
  if (figures.stats.calls === 0) return void (await deps.out.send(chatId, REPORT_TEXT.statsNone(title)));
  try {
    const png = await deps.reports.chartPng(figures, REPORT_TEXT.chart(REPORT_TEXT.chartTitle(name, period, deps.config.reports.timeZone)));
    await deps.out.sendPhoto(chatId, new InputFile(png, { filename: 'stats.png', contentType: 'image/png' }), title);
  } catch (err) {
    deps.logger.error('the statistics chart could not be drawn', { err });
    await deps.out.send(chatId, REPORT_TEXT.chartFailed);
  }
  await deps.out.send(chatId, REPORT_TEXT.statsFigures(title, figures.stats, figures.agentNames));
}

/** /onboard: how bulk onboarding works (the file itself comes as a document captioned /onboard). */
export async function onOnboard(m: Incoming): Promise<void> {
  await m.reply(REPORT_TEXT.onboardUsage);
}

/** Whether a document's caption asks for bulk onboarding rather than a do-not-call import. */
export function isOnboardingCaption(caption: string | undefined): boolean {
  return /^\/onboard(@\w+)?(\s|$)/i.test(caption?.trim() ?? '');
}

/**
 * A CSV of agents from a super admin: refused at once when the Bot API says it is too big; else
 * downloaded (2 MB at most) and read in the chat's turn, so a document refused whole gets one reply.
 * The lines are then applied in a background job, with a progress message edited while it runs and
 * one summary at the end, so the admin's chat goes on answering meanwhile.
 */
export async function onAgentsDocument(m: Incoming, document: Document, jobs: BackgroundJobs): Promise<void> {
  const name = (document.file_name ?? 'the file').slice(0, 64);
  const tooBig = REPORT_TEXT.onboardTooBig(name, MAX_ONBOARDING_BYTES / (1024 * 1024), MAX_ONBOARDING_LINES);
  if ((document.file_size ?? 0) > MAX_ONBOARDING_BYTES) return void (await m.reply(tooBig));
  let bytes: Buffer | 'too_big';
  try {
    bytes = await downloadDocument(m.deps, document.file_id, MAX_ONBOARDING_BYTES);
  } catch (err) {
    m.deps.logger.warn('the onboarding document could not be downloaded', { err, file: name });
    return void (await m.reply(REPORT_TEXT.onboardDownloadFailed(name)));
  }
  if (bytes === 'too_big') return void (await m.reply(tooBig));
  const read = readAgentDocument(bytes);
  if (!read.ok) return void (await m.reply(REPORT_TEXT.onboardRefused(name, read.problem)));
  const progressId = await m.reply(REPORT_TEXT.onboardStarted(name));
  jobs.start(`onboarding of agents from ${name}`, async (signal) => {
    let lastEditAt = Date.now();
    let editing: Promise<unknown> = Promise.resolve();
    const onProgress = (done: number, of: number) => {
      if (progressId === undefined || Date.now() - lastEditAt < PROGRESS_EDIT_INTERVAL_MS) return;
      lastEditAt = Date.now();
      editing = editing.then(() => m.deps.out.edit(m.chatId, progressId, REPORT_TEXT.onboardProgress(name, done, of)));
    };
    try {
      const summary = await onboardAgents(m.deps.accounts, m.userId, read, { signal, onProgress });
      await editing;
      if (progressId !== undefined) await m.deps.out.edit(m.chatId, progressId, REPORT_TEXT.onboardDone(name, read.lines.length + read.invalid.length));
      await m.reply(REPORT_TEXT.onboardSummary(name, summary));
    } catch (err) {
      if (signal.aborted) m.deps.logger.warn('onboarding of agents stopped: the service is stopping', { file: name });
      else m.deps.logger.error('onboarding of agents failed', { err, file: name });
      await editing;
      await m.reply(REPORT_TEXT.onboardFailed(name));
    }
  });
}
