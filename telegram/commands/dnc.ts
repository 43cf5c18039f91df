import readline from 'node:readline';
import { fromPath } from 'node-telegram-bot-api/node';
import type { Document } from 'node-telegram-bot-api/types';
import type { DncImportCounts } from '../../compliance/dnc-import';
import { checkListableNumber, formatForDisplay } from '../../phone/number-policy';
import type { DncEntry } from '../../store/dnc-store';
import type { BackgroundJobs } from '../../ops/background-jobs';
import type { Incoming } from '../handler-context';
import { CLOUD_DOWNLOAD_LIMIT_MB, isCloudApi, openDocument } from '../document-download';
import { DNC_TEXT, T, dateText, numberRefusalText } from '../texts';

/** Progress edits of one message, well under Telegram's about one edit a second per message. */
const PROGRESS_EDIT_INTERVAL_MS = 3000;

function listable(m: Incoming, input: string) {
  return checkListableNumber(input, m.deps.config.defaultRegion);
}

/** /dnc add <number> [reason] · /dnc remove <number> · /dnc check <number> · /dnc export */
export async function onDnc(m: Incoming): Promise<void> {
  const [sub, ...words] = m.args.split(/\s+/).filter(Boolean);
  const action = sub?.toLowerCase();
  if (action === 'export' && words.length === 0) return exportList(m);
  if (words.length === 0 || (action !== 'add' && action !== 'remove' && action !== 'check')) return void (await m.reply(T.usage.dnc));
  // A number may be typed with spaces, "(202) 555-0123": after add, the reason is whatever follows it.
  const { number, rest } = action === 'add' ? numberThenReason(m, words) : { number: listable(m, words.join(' ')), rest: [] };
  if (!number.ok) return void (await m.reply(T.fieldRefused(T.fieldName.number, numberRefusalText(number))));
  const shown = formatForDisplay(number.e164);
  const { dncList } = m.deps;
  if (action === 'check') {
    const entry = await dncList.lookup(number.e164);
    return void (await m.reply(entry ? DNC_TEXT.listed(shownEntry(entry)) : DNC_TEXT.notListed(shown)));
  }
  if (action === 'remove') {
    const entry = await dncList.remove(m.userId, number.e164);
    if (!entry) return void (await m.reply(DNC_TEXT.notListed(shown)));
    return void (await m.reply(DNC_TEXT.removed(shown)));
  }
  const reason = rest.join(' ');
  const { added, entry } = await dncList.add(m.userId, number.e164, reason);
  if (!added) return void (await m.reply(DNC_TEXT.alreadyListed(shownEntry(entry))));
  await m.reply(DNC_TEXT.added(shown));
}

const NUMBER_WORD = /^[+0-9().-]+$/;

/** The longest run of leading number-like words that reads as a number, and the words after it. */
function numberThenReason(m: Incoming, words: string[]): { number: ReturnType<typeof listable>; rest: string[] } {
  let numberWords = 0;
  while (numberWords < words.length && NUMBER_WORD.test(words[numberWords]!)) numberWords += 1;
  for (let k = numberWords; k > 1; k--) {
    const number = listable(m, words.slice(0, k).join(' '));
    if (number.ok) return { number, rest: words.slice(k) };
  }
  return { number: listable(m, words[0]!), rest: words.slice(1) };
}

function shownEntry(entry: DncEntry): DncEntry {
  return { ...entry, number: formatForDisplay(entry.number) };
}

/**
 * A document sent by a super admin: its lines are imported under one listing, with a progress
 * message edited while it runs and a summary at the end. The file is streamed from the Bot API
 * server, never held whole. Only the progress message is sent in the chat's turn: the import is a
 * background job, so the chat goes on answering (a /revoke is not queued behind the file).
 */
export async function onDncDocument(m: Incoming, document: Document, caption: string | undefined, jobs: BackgroundJobs): Promise<void> {
  const name = (document.file_name ?? 'the file').slice(0, 64);
  if (isCloudApi(m.deps) && (document.file_size ?? 0) > CLOUD_DOWNLOAD_LIMIT_MB * 1024 * 1024) {
    return void (await m.reply(DNC_TEXT.importTooBig(name, CLOUD_DOWNLOAD_LIMIT_MB)));
  }
  const progressId = await m.reply(DNC_TEXT.importStarted(name));
  const reason = (caption?.trim() || `import ${name}`).slice(0, 256);
  jobs.start(`do-not-call import of ${name}`, (signal) => importDocument(m, { name, fileId: document.file_id, reason, progressId }, signal));
}

interface ImportJob {
  name: string;
  fileId: string;
  reason: string;
  /** The "Importing…" message, edited with the progress; undefined when it could not be sent. */
  progressId: number | undefined;
}

async function importDocument(m: Incoming, { name, fileId, reason, progressId }: ImportJob, signal: AbortSignal): Promise<void> {
  const { out, dncList } = m.deps;
  let editing: Promise<unknown> = Promise.resolve();
  let editInFlight = false;
  let lastEditAt = Date.now();
  const showProgress = (now: DncImportCounts) => {
    if (progressId === undefined || editInFlight || Date.now() - lastEditAt < PROGRESS_EDIT_INTERVAL_MS) return;
    editInFlight = true;
    editing = out.edit(m.chatId, progressId, DNC_TEXT.importProgress(name, now)).finally(() => {
      editInFlight = false;
      lastEditAt = Date.now();
    });
  };
  const result = await dncList.importFile(m.userId, { name, reason, open: () => downloadLines(m, fileId, signal), onProgress: showProgress, signal });
  await editing;
  if (result.ok) {
    if (progressId !== undefined) await out.edit(m.chatId, progressId, DNC_TEXT.importDone(name, result.summary));
    await m.reply(DNC_TEXT.importSummary(name, result.summary));
    return;
  }
  if (signal.aborted) m.deps.logger.warn('do-not-call import stopped: the service is stopping', { file: name, lines: result.counts.lines });
  else m.deps.logger.error('do-not-call import failed', { err: result.error, file: name });
  await m.reply(DNC_TEXT.importFailed(name, result.counts));
}

/** The file's lines as they arrive from the Bot API server. */
async function downloadLines(m: Incoming, fileId: string, signal: AbortSignal): Promise<AsyncIterable<string>> {
  return readline.createInterface({ input: await openDocument(m.deps, fileId, signal), crlfDelay: Infinity });
}

/** /dnc export: the whole list as a CSV document. */
async function exportList(m: Incoming): Promise<void> {
  const exported = await m.deps.dncList.exportCsv(m.userId, `do-not-call-${dateText(new Date())}.csv`, async (file, written) => {
    const sent = await m.deps.out.sendDocument(m.chatId, await fromPath(file, { contentType: 'text/csv' }), DNC_TEXT.exportCaption(written));
    return sent !== undefined;
  });
  if (exported === 'empty') return void (await m.reply(DNC_TEXT.exportEmpty));
  if (!exported.delivered) await m.reply(DNC_TEXT.exportFailed);
}

/**
 * Why the "asked not to be called" button may not be pressed, or undefined when it may: the call
 * is looked up by its id, so only its own agent can mark it, and only its own number.
 */
export async function markRefusal(m: Incoming, callId: string, agentId: number | null): Promise<string | undefined> {
  const refusal = await m.deps.dncList.markRefusal(callId, agentId);
  if (refusal === 'unknown_call') return T.staleButton;
  if (refusal === 'not_your_call') return T.notYourCall;
  if (refusal === 'not_ended') return DNC_TEXT.callNotEnded;
  return undefined;
}

/** "🚫 Asked not to be called" under a call's final status (markRefusal has allowed it). */
export async function onMarkDoNotCall(m: Incoming, callId: string): Promise<void> {
  const marked = await m.deps.dncList.markFromCall(m.userId, callId, DNC_TEXT.markReason);
  if (!marked) return;
  await m.reply(marked.added ? DNC_TEXT.marked(formatForDisplay(marked.number)) : DNC_TEXT.alreadyListed(shownEntry(marked.entry)));
}
