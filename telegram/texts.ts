/** Every user-facing string of the bot, in one place: the core and the engine return codes and facts. */
import type { CallFailure, CallOutcome, CallStage, ConsultEnd, LegName, PartyView, RecordingPolicy, RecordingView, RouteCode } from '../call/call-types';
import { formatForDisplay, maskedForDisplay, type NumberCheck, type NumberRefusal } from '../phone/number-policy';
import type { CallUpdate, ReturnCallContext } from '../call/call-update';
import type { AnnouncedReason } from '../call/outcomes';
import type { CallRefusal } from '../engine/call-engine';
import type { PartyAnswer, PartyRefusal } from '../engine/call-parties';
import { CALL_REQUEST_MAX_AGE_MS } from '../engine/call-intake';
import type { RuleRefusal, RuleWait } from '../compliance/rules/call-rule';
import type { DncEntry } from '../store/dnc-store';
import { ANNOUNCEMENT_MAX_SECONDS } from '../recording/audio-conversion';
import type { DncImportCounts, DncImportSummary } from '../compliance/dnc-import';
import type { VerificationResult } from '../verification/verification-machine';
import type { PendingVerification, VerifyOutcome, VerifyRefusal } from '../verification/caller-id-verification';
import type { AbuseAlert, AlertKind } from '../compliance/abuse-detector';
import type { CloseAnswer, ScheduleRefusal } from '../after-call/callbacks';
import type { LocalWallTime } from '../after-call/callback-time';
import type { DocumentProblem, InvalidLine, LineProblem, OnboardingSummary } from '../agents/agent-onboarding';
import type { CallStats } from '../reports/call-stats';
import type { ReportPeriod } from '../reports/report-period';
import type { ChartWords } from '../reports/stats-chart';
import type { EndpointListing, UrlProblem } from '../webhooks/webhook-endpoints';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../webhooks/webhook-events';

const NUMBER_REFUSAL: Record<NumberRefusal, string> = {
  not_a_number: 'That is not a phone number. Use digits, spaces and + ( ) - . only.',
  too_short: 'That number is too short.',
  too_long: 'That number is too long.',
  invalid: 'That number does not exist in its country or region.',
  extension: 'Extensions cannot be dialed. Send the main number only.',
  emergency_or_service: 'Emergency and service numbers (911, 311, …) can never be dialed.',
  premium_or_shared_cost: 'Premium-rate and shared-cost numbers (900, 976, …) can never be dialed.',
  country_not_allowed: 'Calls to that country are not allowed.',
};

/** Why a number was refused, in one sentence for the person who typed it. */
export function numberRefusalText(check: Extract<NumberCheck, { ok: false }>): string {
  const { facts } = check;
  if (check.refusal === 'country_not_allowed' && facts?.country) {
    return `Calls to ${facts.country} are not allowed (allowed: ${(facts.allowed ?? []).join(', ')}).`;
  }
  if (check.refusal === 'not_a_number' && facts?.maxLength) {
    return `${NUMBER_REFUSAL.not_a_number} (Input is too long: at most ${facts.maxLength} characters.)`;
  }
  return NUMBER_REFUSAL[check.refusal];
}

/** The sentence of each kind of number refusal (for specs that check they are distinct). */
export const NUMBER_REFUSAL_TEXTS: readonly string[] = Object.values(NUMBER_REFUSAL);

const CALL_REFUSAL: Record<Exclude<CallRefusal, 'invalid_number' | 'live_call_exists' | 'rule'>, string> = {
  not_authorized: 'You are not authorized to place calls.',
  no_route: 'Choose a route first.',
  no_phone: 'You have no registered phone yet. Ask an admin to set it.',
  capacity: 'All lines are busy right now. Try again in a minute.',
  telephony_offline: 'Telephony is offline right now. Try again shortly.',
  stale: `That call request reached me more than ${CALL_REQUEST_MAX_AGE_MS / 1000} s after you sent it, so I did not place it. Send /call again if you still want the call.`,
  came_during_call: 'That request came while your previous call was still on, so I did not place a new call. Send /call again if you want another one.',
  settings_changed: 'Your route or phone changed while the call waited for its turn, so I did not place it. Send /call again.',
  stopped: 'Your access ended while the call waited for its turn; nothing was dialed.',
};

const OUTCOME: Record<CallOutcome, string> = {
  completed: 'Call ended',
  agent_busy: 'Your phone was busy',
  agent_no_answer: 'You did not answer your phone',
  agent_unreachable: 'Your phone could not be reached',
  agent_not_confirmed: 'Not confirmed: the answer was not confirmed with the key press in time',
  agent_hung_up: 'You hung up before they answered',
  target_busy: 'Busy',
  target_no_answer: 'No answer',
  target_rejected: 'Call rejected',
  target_invalid_number: 'Invalid number',
  target_unreachable: 'Number unreachable',
  cancelled: 'Cancelled',
  failed: 'Call failed',
  interrupted: 'Interrupted: the service restarted during the call',
  refused: 'Refused',
};

/** An outcome's name alone, e.g. in /history. */
export function outcomeName(outcome: CallOutcome): string {
  return OUTCOME[outcome];
}

/** A short sentence for how a call ended, e.g. "Call ended — 2:13 — they hung up". */
const FAILURE: Record<Exclude<CallFailure['kind'], 'request'>, string> = {
  target_lost_before_dial: 'the target channel ended before it was dialed',
  target_never_ready: 'the target channel never became ready to dial',
};

/** Why a call failed: a refused request is shown with Asterisk's own answer. */
function failureText(failure: CallFailure): string {
  return failure.kind === 'request' ? `${failure.request}: ${failure.error}` : FAILURE[failure.kind];
}

export function outcomeText(outcome: CallOutcome, opts: { endedBy?: LegName | 'app' | null; talkSeconds?: number | null; failure?: CallFailure } = {}): string {
  if (outcome === 'completed') {
    const parts = [OUTCOME.completed];
    if (opts.talkSeconds != null) parts.push(formatDuration(opts.talkSeconds));
    if (opts.endedBy === 'target') parts.push('they hung up');
    else if (opts.endedBy === 'agent') parts.push('you hung up');
    else if (opts.endedBy === 'app') parts.push('hung up from Telegram');
    return parts.join(' — ');
  }
  if (outcome === 'failed' && opts.failure) return `${OUTCOME.failed}: ${failureText(opts.failure)}`;
  return OUTCOME[outcome];
}

export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** Why a call request was refused; a refused number says why the number was. */
/** The agent's sentence for a compliance rule's refusal. */
export function ruleRefusalText(refusal: RuleRefusal): string {
  switch (refusal.rule) {
    case 'do_not_call': return `This number is on the do-not-call list (since ${dateText(refusal.since)}).`;
    case 'calling_hours': return callingHoursText(refusal);
    case 'calling_hours_unknown_zone':
      return 'The time zone of this number is unknown, so its local time cannot be checked against the calling hours; it is not called.';
    case 'number_cap':
      return `This number has already been called ${refusal.placed} times in the last ${CAP_PERIOD[refusal.period]}`
        + ` (at most ${refusal.limit}, by all agents together); try again later.`;
    case 'agent_cap':
      return `You have already placed ${refusal.placed} calls in the last ${CAP_PERIOD[refusal.period]} (at most ${refusal.limit}); try again later.`;
    case 'route_busy':
      return `All ${refusal.limit} lines of the ${ROUTE_NAME[refusal.route]} route are in use; try again in a moment.`;
    case 'route_rate':
      return `The ${ROUTE_NAME[refusal.route]} route is setting up calls as fast as it may (${refusal.perSecond} a second),`
        + ` and this call would wait more than ${waitText(refusal.maxWaitMs)}; try again in a moment.`;
    case 'caller_id_not_verified':
      return `Your caller ID ${refusal.callerId} is not a verified number of the ${ROUTE_NAME[refusal.route]} route`
        + (refusal.verifiedOn.length > 0 ? ` (it is verified for ${listText(refusal.verifiedOn.map((r) => ROUTE_NAME[r]))} only)` : '')
        + ', so it cannot be shown. Ask an admin to verify it for this route, or to give you another caller ID.';
    case 'disposition_required':
      return `Choose an outcome for your last call first: the call to ${maskedForDisplay(refusal.target)}`
        + `${refusal.endedAt ? ` that ended ${clockText(refusal.endedAt.getTime())}` : ''} — tap one of the buttons under its final status. Nothing was dialed.`;
  }
}

const CAP_PERIOD: Record<Extract<RuleRefusal, { rule: 'number_cap' | 'agent_cap' }>['period'], string> = {
  hour: 'hour', day: '24 hours', '7_days': '7 days',
};

/** How many zones a calling-hours refusal names before it only counts the rest. */
const ZONES_NAMED = 3;

/** "It is 22:14 for this number (America/Chicago); calls are allowed 08:00–21:00, opening in 9 h 46 min." */
function callingHoursText(r: Extract<RuleRefusal, { rule: 'calling_hours' }>): string {
  const several = r.zones.length > 1;
  const named = r.zones.slice(0, ZONES_NAMED).map((zone, i) => `${r.localTimes[i] ?? '?'} (${zone})`);
  const rest = r.zones.length - named.length;
  const when = several
    ? `It is ${listText(rest > 0 ? [...named, `${rest} other time zones`] : named)} for this number`
    : `It is ${r.localTimes[0] ?? '?'} for this number (${r.zones[0] ?? '?'})`;
  const window = r.hours === 'closed'
    ? `no calls are allowed on ${r.weekday}${several ? ' in its first time zone' : ''}`
    : `calls are allowed ${r.hours.replace('-', '–')}${several ? ' in each of its time zones' : ''}`;
  const opening = r.opensInMinutes !== undefined
    ? `opening in ${minutesText(r.opensInMinutes)}`
    : several ? 'and they are not open in all of its time zones at once in the coming week' : 'and they do not open in the coming week';
  return `${when}; ${window}, ${opening}.`;
}

function listText(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** "9 h 46 min", "46 min", "2 h". */
export function minutesText(total: number): string {
  const h = Math.floor(total / 60);
  const m = total % 60;
  if (h === 0) return `${m} min`;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/** "5 s", "0.5 s". */
function waitText(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** The agent's line while a request waits for its route's set-up slot. */
export function ruleWaitText(wait: RuleWait): string {
  return `⏳ Waiting for a free slot on the ${ROUTE_NAME[wait.route]} route (about ${waitText(wait.waitMs)})…`;
}

/** 2026-03-04: a date an agent reads the same wherever the server runs. */
export function dateText(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function callRefusalText(refusal: CallRefusal, number?: Extract<NumberCheck, { ok: false }>, rule?: RuleRefusal): string {
  if (refusal === 'invalid_number') return `❌ ${number ? numberRefusalText(number) : NUMBER_REFUSAL.invalid}`;
  if (refusal === 'rule') return `⛔ ${rule ? ruleRefusalText(rule) : 'A calling rule refused this number.'}`;
  if (refusal === 'live_call_exists') return T.liveCallExists;
  return `❌ ${CALL_REFUSAL[refusal]}`;
}

export const ROUTE_NAME: Record<RouteCode, string> = { M: 'Main', D: 'Development' };

/** `[M]`, `[D]`, or `[–]` when no route is chosen: shown wherever a caller ID is. */
export function routeTag(route: RouteCode | null | undefined): string {
  return route ? `[${route}]` : '[–]';
}

export function callerIdLine(callerId: string | null | undefined, route: RouteCode | null | undefined): string {
  return `Caller ID: ${callerId ?? 'not set'} ${routeTag(route)}`;
}

/** Each command's line in /help and its description in Telegram's command menu. */
export const COMMAND_TEXT = {
  call: { help: '/call <number> — call a number, e.g. /call +12025550123 or /call (202) 555-0123', menu: 'Call a number' },
  hangup: { help: '/hangup — end your live call', menu: 'End your live call' },
  history: { help: '/history — your last 10 calls', menu: 'Your last 10 calls' },
  settings: { help: '/settings — your caller ID, route and phone', menu: 'Caller ID, route, phone' },
  route: { help: '/route — show or switch your route (/route M or /route D)', menu: 'Show or switch your route' },
  callbacks: { help: '/callbacks — your pending callbacks, each with ❌ Cancel (super admins: every agent\'s, missed ones marked)', menu: 'Your pending callbacks' },
  help: { help: '/help — this list', menu: 'What I can do' },
  authorize: { help: '/authorize <telegram_user_id> <phone> [caller_id]', menu: 'Authorize an agent' },
  revoke: { help: '/revoke <telegram_user_id>', menu: 'Revoke an agent' },
  setphone: { help: '/setphone <telegram_user_id> <phone>', menu: "Set an agent's phone" },
  setcallerid: { help: '/setcallerid <telegram_user_id> <number>', menu: "Set an agent's caller ID" },
  agents: { help: '/agents — every agent', menu: 'List agents' },
  calls: { help: '/calls — live calls', menu: 'Live calls' },
  audit: { help: '/audit — the last 20 audit events', menu: 'Audit log' },
  numbers: { help: '/numbers — the caller-ID pool (/numbers add|remove|verify <number> [M|D])', menu: 'Caller-ID pool' },
  export: { help: '/export [from] [to] [agent] — calls as a CSV file, dates as YYYY-MM-DD in UTC (agents: their own calls)', menu: 'Export calls (CSV)' },
  stats: { help: '/stats [today|week] — a chart of the calls and the key figures', menu: 'Call statistics' },
  onboard: { help: '/onboard — how to add many agents at once from a CSV file', menu: 'Add agents from a CSV file' },
  dnc: {
    help: '/dnc add <number> [reason] · /dnc remove <number> · /dnc check <number> · /dnc export — the do-not-call list; send a file (one number per line) to import it',
    menu: 'Do-not-call list',
  },
  recording: { help: '/recording <call id> — send a call\'s kept recording again', menu: "A call's recording" },
  recording_policy: { help: '/recording_policy [M|D] [off|on|consent] — show or set the recording policy of a route', menu: 'Recording policy' },
  announcement: { help: '/announcement M|D — then send a voice message or audio file: the consent announcement of that route', menu: 'Consent announcement' },
  live: { help: '/live — (supervisors) live calls, each with 🎧 Listen, 🗣 Whisper and 📢 Barge', menu: 'Live calls to supervise' },
  supervisors: { help: '/supervisors [add|remove <telegram_user_id> <phone>] — list, add or remove supervisors', menu: 'Supervisors' },
  webhooks: { help: '/webhooks [add <url> [events] | remove <id>] — the URLs that receive the call events, signed', menu: 'Webhooks' },
  apikeys: { help: '/apikeys — the HTTP API\'s keys (/apikeys add <name> <scopes…> [rate/min] · /apikeys revoke <name>)', menu: 'HTTP API keys' },
} as const;

const DNC_KIND: Record<DncEntry['kind'], string> = { admin: 'added by', import: 'imported by', agent: 'asked on a call, marked by' };

/** The do-not-call list's replies. */
/** The labels of inline buttons. */
export const BUTTON = {
  settings: '⚙️ Settings',
  history: '📜 History',
  selectRoute: 'Select Route 🌐',
  mainRoute: '[Main Route] 🌍',
  developmentRoute: '[Development Route] 🛠️',
  confirmRoute: '✅ Yes, Switch Route',
  cancel: '❌ Cancel',
  hangup: '⏹ Hang up',
  hangupCall: (label: string) => `⏹ ${label}`,
  callAgain: '🔁 Call again',
  approve: '✅ Approve',
  deny: '❌ Deny',
} as const;

const OUTCOME_ICON: Partial<Record<CallOutcome, string>> = {
  completed: '📴',
  target_busy: '❌',
  target_no_answer: '❌',
  target_rejected: '❌',
  target_invalid_number: '⚠️',
  target_unreachable: '⚠️',
  agent_busy: '❌',
  agent_no_answer: '❌',
  agent_unreachable: '⚠️',
  agent_not_confirmed: '⚠️',
  agent_hung_up: '📴',
  cancelled: '⏹',
  failed: '⚠️',
  interrupted: '⚠️',
};

/** A live call's stage in the admin's lists (/agents, /calls). */
const STAGE_NAME: Record<CallStage, string> = {
  requested: 'requested',
  agent_dialing: 'calling the agent',
  agent_ringing: "agent's phone ringing",
  agent_answered: 'agent answered',
  target_dialing: 'dialing the customer',
  target_ringing: "customer's phone ringing",
  connected: 'connected',
  ended: 'ended',
};

/** A call's status message, as its agent reads it. */
export const STATUS = {
  /** What is happening now, for the call's stage. */
  headline: (update: CallUpdate, confirmDigit?: string): string => {
    const { context } = update;
    if (update.announcing) return '📢 The customer answered and hears that the call is recorded…';
    switch (update.stage) {
      case 'requested':
      case 'agent_dialing':
        return `📞 Calling your phone ${formatForDisplay(context.agentPhone)}…`;
      case 'agent_ringing':
        return `📞 Your phone ${formatForDisplay(context.agentPhone)} is ringing — answer it…`;
      case 'agent_answered':
        return `✅ You answered — press ${confirmDigit ?? '1'} to confirm…`;
      case 'target_dialing':
        return `✅ You answered — dialing ${STATUS.customer(update)}…`;
      case 'target_ringing':
        return '🔔 Ringing…';
      case 'connected':
        return '🟢 Connected';
      case 'ended': {
        const outcome = update.outcome ?? 'failed';
        return `${OUTCOME_ICON[outcome] ?? '📴'} ${outcomeText(outcome, { endedBy: update.endedBy, talkSeconds: update.talkSeconds, ...(update.failure ? { failure: update.failure } : {}) })}`;
      }
    }
  },
  /** The customer's number and the route it goes over. */
  customer: (update: CallUpdate): string => `${formatForDisplay(update.context.target)} ${routeTag(update.context.route)}`,
  /** The whole message: the headline, who is called, and the caller ID they see. */
  message: (update: CallUpdate, confirmDigit?: string): string =>
    `${STATUS.headline(update, confirmDigit)}\nTo: ${STATUS.customer(update)}\n${callerIdLine(update.context.callerId, update.context.route)}`,
};

/** The call's recording, as its status message and its buttons say it (call/recording.ts decides it). */
export const RECORDING = {
  /** The line under the headline while the call is recorded, paused, or could not be. */
  line: (recording: RecordingView, final: boolean): string | undefined => {
    if (recording.status === 'failed') return `⚠️ Not recorded: ${recording.failure ?? 'the recording failed'}.`;
    if (final) return undefined;
    if (recording.status === 'recording') return recording.failure ? `⏺ Recording (${recording.failure})` : '⏺ Recording';
    if (recording.status === 'paused') return recording.failure ? `⏸ Recording paused (${recording.failure})` : '⏸ Recording paused';
    return undefined;
  },
  pauseButton: '⏸ Pause recording',
  resumeButton: '▶️ Resume recording',
  /** The tap's answer when the recording cannot be paused or resumed now (already done, ended, or not recorded). */
  notNow: 'The recording cannot be paused or resumed now.',
  notOwner: 'Only the agent on this call can pause or resume its recording.',
};

const PARTY_STATUS: Record<PartyView['status'], string> = {
  created: 'about to be called',
  dialing: 'being called…',
  ringing: 'ringing…',
  up: 'on the line',
  held: 'on hold',
  ended: 'left',
};

const PARTY_REFUSAL: Record<PartyRefusal, string> = {
  no_such_call: 'This call has ended.',
  not_owner: 'Only the agent who has this call (or an admin) can do that.',
  not_now: 'Not now: the call is not connected, or a transfer or consultation is already going on.',
  not_reached: 'The app instance running this call did not take the request in time. Look at the call\'s status before you try again.',
  agent_unavailable: 'That agent cannot take calls now (not active, not on this route, or without a phone).',
  agent_busy: 'That agent is on another call.',
  same_party: 'That party is already on this call.',
};

type PartyPurposeName = 'cold' | 'warm' | 'add';

/** Transfer, consultation and conference, as the agent reads them. */
export const PARTY = {
  /** One party of a call in its status message. */
  line: (party: PartyView, isYou: boolean): string => {
    const who = isYou ? 'You' : `${party.role === 'customer' ? 'Customer ' : ''}${formatForDisplay(party.label)}`;
    const what = party.role === 'consulted' && party.status !== 'ended' ? ' (consulted)' : '';
    return `• ${who}${what}: ${PARTY_STATUS[party.status]}`;
  },
  transferredTo: (label: string) => `↪️ Transferred to ${label ? formatForDisplay(label) : 'another agent'}`,
  transferButton: '↪️ Transfer',
  addButton: '➕ Add',
  coldButton: '❄️ Cold: hand over now',
  warmButton: '🔥 Warm: talk to them first',
  typeNumberButton: '🔢 Type a number',
  completeButton: '✅ Complete',
  backButton: '↩️ Back',
  conferenceButton: '👥 Conference',
  cancelButton: '❌ Cancel',
  chooseMode: '↪️ Transfer the call:\nCold: the customer goes to the new party as soon as they answer.\nWarm: the customer waits on hold while you talk to them first.',
  pickParty: (purpose: PartyPurposeName, anyAgent: boolean) => `${purpose === 'add' ? '➕ Who should join the call?' : `↪️ ${purpose === 'cold' ? 'Cold' : 'Warm'} transfer to whom?`}${anyAgent ? '' : '\nNo other agent on this route is free right now.'}`,
  typeNumber: (purpose: PartyPurposeName) => `🔢 Send the number to ${purpose === 'add' ? 'add to the call' : 'transfer the call to'}, e.g. +12025550123. Any command cancels.`,
  inputCancelled: 'Cancelled; nothing was dialed.',
  inputExpired: 'That number came too late for the transfer, so I did not dial it. Use the buttons under the call again.',
  started: (purpose: PartyPurposeName, label: string) => ({
    cold: `↪️ Transferring the customer to ${formatForDisplay(label)}…`,
    warm: `📞 Calling ${formatForDisplay(label)}; the customer is on hold.`,
    add: `➕ Calling ${formatForDisplay(label)} into the call…`,
  })[purpose],
  consultEnded: (how: ConsultEnd) => ({
    complete: '✅ Transfer completed: the customer is with your colleague now.',
    back: '↩️ Back with the customer.',
    conference: '👥 Conference: all three of you are on the line.',
  })[how],
  /** Why a transfer, consultation or conference request was not taken; a number is refused as /call refuses it. */
  refusal: (answer: Extract<PartyAnswer, { ok: false }> | { ok: false; refusal: PartyRefusal }): string => {
    const { refusal } = answer;
    if (refusal in PARTY_REFUSAL) return `❌ ${PARTY_REFUSAL[refusal as PartyRefusal]}`;
    const facts = answer as Extract<PartyAnswer, { ok: false }>;
    return callRefusalText(refusal as CallRefusal, facts.number, facts.rule);
  },
  refusalOf: (refusal: PartyRefusal) => `❌ ${PARTY_REFUSAL[refusal]}`,
};

export const DNC_TEXT = {
  usage: 'Usage: /dnc add <number> [reason] · /dnc remove <number> · /dnc check <number> · /dnc export. Send a .csv or .txt file, one number per line, to import numbers.',
  added: (number: string) => `🚫 ${number} is on the do-not-call list now.`,
  alreadyListed: (entry: DncEntry) => `${entry.number} was already on the do-not-call list (since ${dateText(entry.since)}).`,
  removed: (number: string) => `✅ ${number} is off the do-not-call list.`,
  notListed: (number: string) => `${number} is not on the do-not-call list.`,
  listed: (entry: DncEntry) =>
    `🚫 ${entry.number} is on the do-not-call list since ${dateText(entry.since)}, ${DNC_KIND[entry.kind]} ${entry.addedBy}${entry.reason ? `: ${entry.reason}` : ''}.`,
  importStarted: (file: string) => `⏳ Importing ${file}…`,
  importProgress: (file: string, c: DncImportCounts) =>
    `⏳ Importing ${file}: ${c.lines.toLocaleString('en-US')} lines read, ${c.added.toLocaleString('en-US')} added, ${c.alreadyPresent.toLocaleString('en-US')} already present, ${c.invalid.toLocaleString('en-US')} invalid…`,
  importDone: (file: string, c: DncImportCounts) => `✅ Imported ${file}: ${c.lines.toLocaleString('en-US')} lines read.`,
  importSummary: (file: string, s: DncImportSummary) => [
    `Do-not-call import of ${file}:`,
    `added: ${s.added.toLocaleString('en-US')}`,
    `already present: ${s.alreadyPresent.toLocaleString('en-US')}`,
    `invalid lines: ${s.invalid.toLocaleString('en-US')}${s.invalidLines.length ? ` (line ${s.invalidLines.join(', ')}${s.invalid > s.invalidLines.length ? ', …' : ''})` : ''}`,
  ].join('\n'),
  importFailed: (file: string, c: DncImportCounts) =>
    `⚠️ The import of ${file} stopped after ${c.lines.toLocaleString('en-US')} lines (${c.added.toLocaleString('en-US')} numbers added, they stay). Try again: numbers already added count as already present.`,
  importTooBig: (file: string, maxMb: number) => `❌ ${file} is larger than ${maxMb} MB, the most this Bot API server lets a bot download. Split the file, or run a local Bot API server.`,
  importNotAdmin: 'Only super admins can import do-not-call lists.',
  exportEmpty: 'The do-not-call list is empty.',
  exportCaption: (count: number) => `Do-not-call list: ${count.toLocaleString('en-US')} numbers.`,
  exportFailed: 'The export could not be sent. Try again.',
  markButton: '🚫 Asked not to be called',
  marked: (number: string) => `🚫 ${number} asked not to be called: it is on the do-not-call list now.`,
  markReason: 'asked not to be called',
  callNotEnded: 'That call has not ended yet.',
} as const;

/** Dispositions and notes after a call, as its agent reads them. */
export const AFTER_CALL = {
  /** The chosen code's button. */
  chosen: (label: string) => `✅ ${label}`,
  callNotEnded: 'That call has not ended yet: choose its outcome once it has.',
  callbackNotSetUp: (label: string) =>
    `${label} is noted on the call. Scheduling call backs is not set up on this bot, so no reminder will come: call them again with /call when it suits.`,
  callbackFailed: (label: string) => `${label} is noted on the call, but the times to call back could not be offered. Tap ${label} again.`,
  noteSaved: (replaced: boolean) => (replaced ? '📝 Note replaced: the call keeps this one.' : '📝 Note saved with the call.'),
  noteTooLong: (chars: number, max: number) =>
    `❌ That note is ${chars.toLocaleString('en-US')} characters long; a note can be at most ${max.toLocaleString('en-US')}. Nothing was saved: reply again with a shorter one.`,
  noteEmpty: "❌ That note has no text. Reply to the call's status message with what to keep.",
  notAStatus: 'A note is a reply to the final status message of one of your calls, and that message is not one. Nothing was saved.',
  noteNotYourCall: 'That is not your call: only its agent can add a note. Nothing was saved.',
  noteNotEnded: 'That call has not ended yet: reply to its status once it has. Nothing was saved.',
  /** A call's disposition and note in /history, briefly. */
  historyDisposition: (label: string) => `🏷 ${label}`,
  historyNote: (note: string) => `📝 ${note}`,
} as const;

/** "Thursday 2026-03-05 09:00 America/New_York": a callback's time as the customer's clock shows it. */
function localText(local: LocalWallTime): string {
  return `${local.weekday} ${local.date} ${local.time} ${local.zone}`;
}

const TIME_EXAMPLES = 'e.g. 14:30, tomorrow 10:00 or 2026-12-07 09:30';

/** Scheduled callbacks: the offer after `Call back`, the confirmation or refusal, the reminder, /callbacks. */
export const CALLBACK_TEXT = {
  offer: (number: string, now: LocalWallTime) =>
    `📅 When should ${formatForDisplay(number)} be called back? Times are the customer's: ${now.zone}, where it is ${now.weekday} ${now.time} now.`,
  offerZoneUnknown: (number: string) =>
    `📅 When should ${formatForDisplay(number)} be called back? The time zone of this number is unknown: times are read in UTC.`,
  inAnHourButton: '⏱ In 1 h',
  tomorrowMorningButton: '🌅 Tomorrow 09:00',
  typeTimeButton: '⌨️ Type a time',
  typePrompt: (zone: string) => `Send the time of the callback in the customer's time zone (${zone}), ${TIME_EXAMPLES}.`,
  inputExpired: 'That time came too late, so no callback was scheduled. Tap ⌨️ Type a time again.',
  scheduled: (number: string, local: LocalWallTime) =>
    `📅 Callback to ${formatForDisplay(number)} scheduled for ${localText(local)} (the customer's time). You get a reminder then.`,
  refused: (refusal: ScheduleRefusal): string => {
    const nothing = 'No callback was scheduled.';
    switch (refusal.reason) {
      case 'no_call': return `❌ That call is not known. ${nothing}`;
      case 'not_yours': return `❌ That call is not yours. ${nothing}`;
      case 'unreadable': return `❌ That is not a time I can read. Send one ${TIME_EXAMPLES} (the customer's time, ${refusal.zone}).`;
      case 'no_such_date': return `❌ That date does not exist. Send a time ${TIME_EXAMPLES}.`;
      case 'past': return `❌ ${localText(refusal.local)} has already passed for the customer. ${nothing} Pick a later time.`;
      case 'too_far': return `❌ ${localText(refusal.local)} is more than ${refusal.maxDays} days ahead. ${nothing}`;
      case 'outside_hours':
        return `⛔ ${localText(refusal.local)} is outside the calling hours for the customer (`
          + (refusal.hours === 'closed' ? `no calls on ${refusal.local.weekday}` : `calls are allowed ${refusal.hours.replace('-', '–')} there`)
          + `). ${nothing} Pick a time inside them.`;
      case 'unknown_zone':
        return `⛔ The time zone of this number is unknown, so no time can be checked against the calling hours. ${nothing}`;
    }
  },
  typeAgain: 'Send another time, or tap ❌ Cancel.',
  reminder: (number: string, local: LocalWallTime) =>
    `⏰ Time to call back ${formatForDisplay(number)} (due ${localText(local)}, the customer's time).`,
  callButton: '📞 Call',
  cancelButton: (label = '') => `❌ Cancel${label ? ` ${label}` : ''}`,
  called: (number: string) => `📞 Calling back ${formatForDisplay(number)}.`,
  cancelled: (number: string, local: LocalWallTime) => `❌ The callback to ${formatForDisplay(number)} at ${localText(local)} is cancelled.`,
  closeRefused: (answer: Exclude<CloseAnswer, 'closed'>) =>
    (answer === 'not_yours' ? 'This callback is not yours.' : 'This callback was already called back or cancelled.'),
  noneOpen: 'You have no pending callbacks.',
  noneOpenAll: 'No agent has a pending callback.',
  listTitle: (count: number) => `📅 Pending callbacks (${count}), in the customers' time:`,
  listLine: (n: number, c: { number: string; route: RouteCode | null; local: LocalWallTime; agent?: string; reminded: boolean; missed: boolean }) =>
    `${n}. ${localText(c.local)} · ${formatForDisplay(c.number)} ${routeTag(c.route)}${c.agent ? ` · ${c.agent}` : ''}`
    + (c.missed ? ' · ⚠️ missed' : c.reminded ? ' · ⏰ reminded' : ''),
  missedAlert: (agent: string, number: string, local: LocalWallTime, afterMin: number) =>
    `⚠️ Missed callback: ${agent} was reminded to call ${formatForDisplay(number)} back at ${localText(local)} (the customer's time) and has not called back ${afterMin} min later.`,
  agentLabel: (name: string, telegramId: string) => `${name || '—'} (id ${telegramId})`,
} as const;

const NO_ACCESS = 'You have no access to this bot. Ask an admin if you think this is a mistake.';

export const T = {
  privateOnly: 'This bot works in private chats only. Message me directly.',
  unknownCommand: 'I do not know that command. Send /help to see what I can do.',
  notText: 'Send me a command, for example /call +12025550123. /help lists them all.',
  tooLong: 'That message is too long for me. Send /help to see the commands.',

  greeting: (name: string) => `Hi ${name}! Place a call with /call <number>, or use the menu below.`,
  adminGreeting: (name: string) => `Hi ${name}! You are a super admin. /help lists the admin commands.`,
  accessRequested: 'Your access request went to the admins. You will get a message here once it is approved.',
  accessPending: 'Your access request is still pending. An admin will approve it soon.',
  noAccess: NO_ACCESS,
  /** Told to someone without access on /start: /authorize takes this id, and they cannot see it in Telegram's apps. */
  withTelegramId: (text: string, id: string) => `${text}\n\nYour Telegram user id is ${id}; an admin needs it to give you access.`,
  accessRequestForAdmin: (name: string, username: string | null, id: string) =>
    `🆕 Access request\nName: ${name}\nUsername: ${username ? `@${username}` : '—'}\nUser id: ${id}`,

  helpTitle: 'Commands:',
  adminHelpTitle: 'Admin commands:',

  usage: {
    call: 'Usage: /call <number>, e.g. /call +12025550123',
    route: 'Usage: /route M (Main) or /route D (Development); /route alone shows your route.',
    authorize: 'Usage: /authorize <telegram_user_id> <phone> [caller_id]',
    revoke: 'Usage: /revoke <telegram_user_id>',
    setphone: 'Usage: /setphone <telegram_user_id> <phone>',
    setcallerid: 'Usage: /setcallerid <telegram_user_id> <number>',
    dnc: DNC_TEXT.usage,
    numbers: 'Usage: /numbers, /numbers add <number> <M|D>, /numbers remove <number> [M|D], /numbers verify <number> [M|D]',
    noArgs: (command: string) => `Usage: /${command} (no arguments)`,
  },

  chooseRouteFirst: 'Choose a route first:',
  liveCallExists: 'You already have a call in progress — see the status message above, or /hangup to end it.',
  noLiveCall: 'You have no call in progress.',

  currentRoute: (route: RouteCode | null) => (route ? `Your route: [${ROUTE_NAME[route]}] ${routeTag(route)}` : 'You have not chosen a route yet.'),
  selectRoute: 'Select the route for your outbound calls:',
  confirmRoute: (route: RouteCode) => `Are you sure you want to switch to the ${ROUTE_NAME[route]} route?\nAll outbound calls will now go through this route.`,
  routeChanged: (route: RouteCode) => `✅ Your route has been successfully changed to [${ROUTE_NAME[route]}]!`,
  routeUnchanged: (route: RouteCode | null) => `Route unchanged${route ? `: still [${ROUTE_NAME[route]}]` : ''}.`,

  settings: (callerId: string | null, route: RouteCode | null, phone: string | null) =>
    `⚙️ Settings\n${callerIdLine(callerId, route)}\nYour phone: ${phone ?? 'not set'}`,

  historyEmpty: 'No calls yet.',
  historyTitle: 'Your last calls:',
  callInProgress: 'in progress',
  /** A party of a call of more than two, under the call's /history line; `talk`: how long they were on it, absent while they still are. */
  historyParty: {
    transferred: (label: string, talk?: string) => `↪️ transferred to ${label}${talk ? ` (${talk})` : ''}`,
    conference: (label: string, talk?: string) => `👥 conference with ${label}${talk ? ` (${talk})` : ''}`,
    consulted: (label: string, talk?: string) => `💬 consulted ${label}${talk ? ` (${talk})` : ''}`,
    unanswered: (label: string) => `✖️ ${label} did not answer`,
  },

  staleButton: 'This button is no longer valid.',
  notYourCall: 'That is not your call.',
  notAllowed: 'You are not allowed to do that.',

  // admin
  /** What the agent's calls will really show: their own caller ID, the default one, or none (the engine then sends none). */
  authorized: (id: string, phone: string, callerId: string | null, defaultCallerId: string | undefined) => `✅ Agent ${id} is authorized. Phone ${phone}, ${
    callerId ? `caller ID ${callerId}.`
      : defaultCallerId ? `caller ID ${defaultCallerId} (the default).`
        : `no caller ID: there is no default either, so their calls go out without one (the provider decides what is shown, or refuses them). Set one with /setcallerid ${id} <number>.`}`,
  youAreAuthorized: 'You are now authorized to place calls. Choose a route in /settings, then /call <number>.',
  revoked: (id: string, endedCall: boolean) => `🚫 Agent ${id} is revoked.${endedCall ? ' Their live call was ended.' : ''}`,
  youAreRevoked: 'Your access to this bot has been revoked.',
  youAreSuspended: '⛔ Your access to this bot is suspended after an abuse alert. An admin can restore it.',
  unknownAgent: (id: string) => `No agent with user id ${id}.`,
  phoneSet: (id: string, phone: string) => `✅ Phone of ${id} is now ${phone}.`,
  callerIdSet: (id: string, callerId: string, route: RouteCode | null) => `✅ ${id}: ${callerIdLine(callerId, route)}`,
  invalidUserId: 'The user id must be a number.',
  fieldRefused: (what: string, reason: string) => `❌ ${what}: ${reason}`,
  askPhone: (name: string, id: string) => `Reply to this message with the phone number for ${name} (id ${id}).`,
  approvalNeedsReply: 'Reply to the request message with the phone number.',
  denied: (id: string) => `❌ Access request of ${id} denied.`,
  youAreDenied: 'Your access request was denied.',
  alreadyHandled: (id: string, status: string) => `The request of ${id} was already handled (status: ${status}).`,
  approvalNotPending: (id: string, status: string) =>
    `⚠️ Nobody was authorized: the access request of ${id} is no longer pending (status: ${status}). If you mean to let them in, send /authorize ${id} <phone>.`,
  noAgents: 'No agents yet.',
  /** The names of the fields a number refusal is about ("❌ Phone: …"). */
  fieldName: { phone: 'Phone', callerId: 'Caller ID', number: 'Number' },
  phonePlaceholder: '+12025550123',
  noAccessAskStart: `${NO_ACCESS} Send /start to ask for access.`,
  /** One agent in /agents: who, their status, phone and caller ID, and their live call if any. */
  agentLine: (a: { displayName: string; username: string | null; telegramId: string; status: string; phone: string | null }, callerId: string, live?: { customer: string; stage: CallStage }) =>
    `${a.displayName || '—'} (${a.username ? `@${a.username}, ` : ''}id ${a.telegramId}) · ${a.status}\n`
    + `  phone ${a.phone ?? '—'} · ${callerId}${live ? ` · 📞 live call to ${live.customer} (${STAGE_NAME[live.stage]})` : ''}`,
  liveCallLabel: (agentTelegramId: string, customer: string, route: RouteCode, stage: CallStage) => `${agentTelegramId} → ${customer} [${route}] · ${STAGE_NAME[stage]}`,
  liveCallsTitle: (count: number, labels: readonly string[]) => `Live calls (${count}):\n${labels.join('\n')}`,
  auditLine: (e: { createdAt: Date; actor: string; action: string; subject?: string | null; details?: string | null }) =>
    `${e.createdAt.toISOString().slice(0, 19).replace('T', ' ')} · ${e.actor} · ${e.action}${e.subject ? ` · ${e.subject}` : ''}${e.details ? ` · ${e.details.slice(0, 120)}` : ''}`,
  noLiveCalls: 'No live calls.',
  auditEmpty: 'The audit log is empty.',
  interrupted: '⚠️ Interrupted: the service restarted during this call.',
} as const;

/** Digits spaced for reading aloud or keying in: `4 8 2 1 9 3`. */
function spaced(code: string): string {
  return code.split('').join(' ');
}

const ALERT_KIND: Record<AlertKind, string> = {
  call_rate: 'call rate',
  short_calls: 'short or failed calls',
  refusals: 'refused calls',
};

/** "12:03 UTC": alerts are read within the hour they fire. */
function clockText(at: number): string {
  return `${new Date(at).toISOString().slice(11, 16)} UTC`;
}

const VERIFY_REFUSAL: Record<VerifyRefusal, (number: string, route: RouteCode) => string> = {
  not_in_pool: (n, r) => `${n} is not in the ${ROUTE_NAME[r]} pool. Add it first: /numbers add ${n} ${r}`,
  already_verified: (n, r) => `${n} is already verified for the ${ROUTE_NAME[r]} route.`,
  in_progress: (n) => `A verification call to ${n} is in progress; wait for its result.`,
  telephony_offline: () => 'Telephony is offline right now, so the number cannot be called. Try again shortly.',
  no_code: (n, r) => `The code for ${n} is no longer valid (used, expired or entered wrong too often). Send /numbers verify ${n} ${r} for a new one.`,
};

/** How each verification call ended, for the admin. */
const VERIFY_RESULT: Record<Exclude<VerificationResult, 'verified'>, string> = {
  wrong_code: 'the code was keyed in wrong too many times',
  no_code: 'the call was answered, but the code was not keyed in in time',
  hung_up: 'the call was answered, but hung up before the right code was keyed in',
  unanswered: 'nobody answered (busy, no answer or unreachable)',
  expired: 'the code expired before it was keyed in',
  cancelled: 'the verification was stopped',
  failed: 'the call could not be placed',
};

/** The caller-ID pool and its verification, as the super admins read it. */
export const POOL = {
  empty: 'The caller-ID pool is empty. Add a number with /numbers add <number> <M|D>, then verify it.',
  title: 'Caller-ID pool:',
  entry: (number: string, route: RouteCode, verifiedAt: Date | null, pending: PendingVerification | undefined) => `${number} ${routeTag(route)} · ${
    verifiedAt ? `✅ verified ${dateText(verifiedAt)}`
      : pending?.calling ? '📞 verification call in progress'
        : pending ? `⏳ unverified, code valid until ${clockText(pending.expiresAt)}`
          : '⚠️ unverified: agents cannot use it yet'}`,
  verifyButton: (number: string, route: RouteCode) => `📞 Verify ${number} ${routeTag(route)}`,
  callAgainButton: '📞 Call again with the same code',
  invalidRoute: 'The route is M (Main) or D (Development).',
  whichRoute: (number: string) => `${number} is in both pools: add M or D, e.g. /numbers verify ${number} M`,
  added: (number: string, route: RouteCode) =>
    `✅ ${number} is in the ${ROUTE_NAME[route]} pool, unverified. Agents can use it once it is verified: /numbers verify ${number} ${route}`,
  alreadyInPool: (number: string, route: RouteCode, verified: boolean) =>
    `${number} is already in the ${ROUTE_NAME[route]} pool (${verified ? 'verified' : 'unverified'}).`,
  notInPool: (number: string) => `${number} is not in the caller-ID pool.`,
  removed: (number: string, routes: readonly RouteCode[], agents: readonly string[]) =>
    `🗑 ${number} is out of the ${listText(routes.map((r) => ROUTE_NAME[r]))} pool${routes.length > 1 ? 's' : ''}: no call uses it from now on.`
    + (agents.length > 0 ? ` Agents with it as their caller ID (${agents.join(', ')}) are refused until they get another one (/setcallerid).` : ''),
  refused: (refusal: VerifyRefusal, number: string, route: RouteCode) => `❌ ${VERIFY_REFUSAL[refusal](number, route)}`,
  calling: (number: string, route: RouteCode, code: string | undefined, expiresAt: number, attemptsLeft: number) =>
    `📞 Calling ${number} over the ${ROUTE_NAME[route]} route. Whoever answers keys in ${code ? `this code: ${spaced(code)}` : 'the code sent before'}`
    + ` (valid until ${clockText(expiresAt)}, ${attemptsLeft} wrong ${attemptsLeft === 1 ? 'entry' : 'entries'} allowed). Do not share it otherwise.`,
  outcome: (o: VerifyOutcome) => {
    if (o.removed) return `🗑 ${o.number} ${routeTag(o.route)} left the pool during its verification; it is not verified.`;
    if (o.result === 'verified') return `✅ ${o.number} is verified for the ${ROUTE_NAME[o.route]} route: agents on it may now use it as their caller ID.`;
    const left = o.codeValid
      ? ` The code stays valid until ${clockText(o.expiresAt)} (${o.attemptsLeft} wrong ${o.attemptsLeft === 1 ? 'entry' : 'entries'} left): call again, or send /numbers verify ${o.number} ${o.route} for a new code.`
      : ` The code is no longer valid; send /numbers verify ${o.number} ${o.route} for a new one.`;
    return `❌ ${o.number} ${routeTag(o.route)} is not verified: ${VERIFY_RESULT[o.result]}`
      + `${o.wrongEntries > 0 && o.result !== 'wrong_code' ? ` (${o.wrongEntries} wrong ${o.wrongEntries === 1 ? 'entry' : 'entries'})` : ''}.${left}`;
  },
  /** Why /authorize or /setcallerid refuses a caller ID. */
  callerIdNotVerified: (number: string, route: RouteCode | null, verifiedOn: readonly RouteCode[]) => (route
    ? `${number} is not a verified number of the ${ROUTE_NAME[route]} pool (the agent's route)`
      + `${verifiedOn.length > 0 ? `; it is verified for ${listText(verifiedOn.map((r) => ROUTE_NAME[r]))} only` : ''}.`
    : `${number} is not a verified number of the caller-ID pool.`)
    + ` Add it with /numbers add ${number} ${route ?? 'M'} and verify it with /numbers verify ${number}${route ? ` ${route}` : ''}.`,
};

function alertMeasure(a: AbuseAlert): string {
  const window = a.windowMs !== undefined ? minutesText(Math.round(a.windowMs / 60_000)) : '';
  switch (a.kind) {
    case 'call_rate': return `${a.count} calls placed in the last ${window} (the alert is for more than ${a.limit}).`;
    case 'short_calls': return `${a.count} calls in a row ended with less than ${a.underS ?? 0} s of talk, or unanswered (the alert is for ${a.limit}).`;
    case 'refusals': return `${a.count} calls refused by the do-not-call list or the calling hours in the last ${window} (the alert is for ${a.limit}).`;
  }
}

/** What super admins read of abuse alerts and of the suspensions they lead to. */
export const ALERT = {
  /** What led to a suspension, in the audit log. */
  auditReason: (kind: AlertKind, count: number) => `alert ${kind} (count=${count})`,
  suspendButton: '⛔ Suspend agent',
  /** One message per storm, edited as it goes on; `suspended` once an admin acted on it. */
  message: (a: AbuseAlert, agent: { name: string; username: string | null }, suspended?: { by: string; at: number }) => [
    `🚨 Abuse alert: ${ALERT_KIND[a.kind]}`,
    `Agent: ${agent.name || '—'} (${agent.username ? `@${agent.username}, ` : ''}id ${a.agentTelegramId})`,
    alertMeasure(a),
    a.fired > 1 ? `Fired ${a.fired} times since ${clockText(a.firstAt)}, last at ${clockText(a.at)}.` : `At ${clockText(a.at)}.`,
    ...(suspended ? [`⛔ Suspended by ${suspended.by} at ${clockText(suspended.at)}.`] : []),
  ].join('\n'),
  suspended: (id: string, endedCall: boolean) =>
    `⛔ Agent ${id} is suspended.${endedCall ? ' Their live call was ended.' : ''} /authorize ${id} <phone> restores them.`,
  notActive: (id: string, status: string) => `Agent ${id} is not active (${status}); there is nothing to suspend.`,
  staleAlert: 'This alert is no longer current. /agents shows the agents; /revoke stops one.',
  kindName: (kind: AlertKind) => ALERT_KIND[kind],
} as const;

/** What the service says to the person who runs it (terminal, journal), not to Telegram users. */
export const OPERATOR = {
  usage: (version: string) => `callbot ${version}: outbound phone calls from Telegram through Asterisk ARI

Usage: node dist/app/main.js [--help | --version]      (npm start runs it)

Without options it starts the service. Configuration comes from the environment and from a .env
file in the current directory; .env.example describes every variable. Required:
TELEGRAM_BOT_TOKEN, SUPER_ADMIN_IDS, ARI_USERNAME, ARI_PASSWORD.

SIGTERM or SIGINT stops it: live calls are ended, Telegram and ARI are closed, and the process
is gone within 10 seconds. A second signal exits at once.

Options:
  --help       print this text and exit
  --version    print the version and exit

Other commands, from the project directory:
  npm run migrate                          apply pending database migrations and exit
  npm run asterisk:config -- --out DIR     write the bundled Asterisk configuration to DIR
  npm run demo                             the whole product on a simulator, no Telegram or Asterisk

Exit codes: 0 stopped by a signal; 1 failed (the reason is on stderr or in the log);
2 refused to start (an invalid variable, a bot token Telegram refused, an unknown option);
130 or 143 a second SIGINT or SIGTERM.
`,
  unknownOption: (arg: string) => `unknown option ${JSON.stringify(arg)}; node dist/app/main.js --help lists the options`,
  tokenRefused: (status: number) =>
    `The Bot API server refused the bot token (HTTP ${status}): check TELEGRAM_BOT_TOKEN (from @BotFather) and TELEGRAM_API_ROOT.`,
} as const;

const n = (count: number) => count.toLocaleString('en-US');
const percent = (rate: number) => `${Math.round(rate * 100)}%`;
const periodText = (p: ReportPeriod, zone: string) => `${p.firstDay === p.lastDay ? p.firstDay : `${p.firstDay} to ${p.lastDay}`}, ${zone}`;
const MAX_LISTED_INVALID = 20;
const MAX_AGENT_LINES = 30;

const LINE_PROBLEM = (p: LineProblem): string => {
  switch (p.kind) {
    case 'field_count': return `${p.found} fields, the header has ${p.expected}`;
    case 'telegram_id': return 'telegram_id is not a Telegram user id (digits only)';
    case 'phone_missing': return 'phone is empty';
    case 'name_too_long': return `name is longer than ${p.max} characters`;
    case 'route': return `route "${p.value}" is not M or D`;
    case 'repeated': return `the same telegram_id as line ${p.firstLine}`;
    case 'phone': return p.refusal.refusal === 'invalid' ? `phone: ${numberRefusalText(p.refusal.check)}` : 'phone: refused';
  }
};

/** /export, /stats, the daily report and bulk onboarding. */
export const REPORT_TEXT = {
  exportUsage: 'Usage: /export [from] [to] [agent], dates as YYYY-MM-DD (UTC days, both included; none: today), agent as a Telegram user id. E.g. /export 2026-12-01 2026-12-06 2001',
  badDate: (word: string) => `❌ "${word.slice(0, 32)}" is not a date. Write dates as YYYY-MM-DD, e.g. 2026-12-01.`,
  fromAfterTo: (from: string, to: string) => `❌ The first date (${from}) is after the second (${to}). Write the earlier date first.`,
  unknownAgent: (telegramId: string) => `❌ No agent has the Telegram user id ${telegramId}. /agents lists them.`,
  ownCallsOnly: 'Agents export their own calls only: leave out the agent, or give your own Telegram user id.',
  exportEmpty: (from: string, to: string) => `No calls from ${from} to ${to} (UTC).`,
  exportCaption: (count: number, from: string, to: string) => `Calls from ${from} to ${to} (UTC): ${n(count)}.`,
  exportFailed: 'The export could not be sent. Try again.',

  statsUsage: 'Usage: /stats today or /stats week (today is the default).',
  /** The chart's own title: no emoji, which the server's fonts may lack. */
  chartTitle: (name: 'today' | 'week' | 'day', p: ReportPeriod, zone: string) =>
    `${name === 'today' ? 'Calls today' : name === 'week' ? 'Calls in the last 7 days' : 'Daily report'} (${periodText(p, zone)})`,
  statsTitle: (name: 'today' | 'week' | 'day', p: ReportPeriod, zone: string) => `📊 ${REPORT_TEXT.chartTitle(name, p, zone)}`,
  statsNone: (title: string) => `${title}\nNo calls were placed.`,
  statsFigures: (title: string, s: CallStats, names: ReadonlyMap<number, string>) => [
    title,
    `Placed: ${n(s.calls)} · answered: ${n(s.answered)} (${percent(s.calls ? s.answered / s.calls : 0)})`,
    `Talk time: ${formatDuration(s.talkSeconds)}`,
    'By agent (talk time · placed · answered):',
    ...s.agents.slice(0, MAX_AGENT_LINES).map((a) => `${names.get(a.agentId) ?? `#${a.agentId}`} — ${formatDuration(a.talkSeconds)} · ${n(a.calls)} · ${n(a.answered)}`),
    ...(s.agents.length > MAX_AGENT_LINES ? [`… and ${n(s.agents.length - MAX_AGENT_LINES)} more`] : []),
  ].join('\n'),
  chartFailed: 'The chart could not be drawn this time; the figures follow.',
  chart: (title: string): ChartWords => ({
    title, callsPerHour: 'Calls per hour', calls: 'Placed', answered: 'Answered', notAnswered: 'Not answered',
    answerRate: (rate) => `Answer rate ${percent(rate)}`, talkTimePerAgent: 'Talk time per agent (minutes)', minutes: 'min', noCalls: 'No calls',
  }),

  onboardUsage: 'To add or update many agents at once, send a CSV file with the caption /onboard. Its first line names the columns: telegram_id,phone,name,route (name and route may be left empty; route is M or D). Each line is authorized as /authorize does; you get one summary.',
  onboardNotAdmin: 'Only super admins can add agents.',
  onboardStarted: (file: string) => `⏳ Adding agents from ${file}…`,
  onboardProgress: (file: string, done: number, of: number) => `⏳ Adding agents from ${file}: ${n(done)} of ${n(of)} lines…`,
  onboardDone: (file: string, lines: number) => `✅ Read ${file}: ${n(lines)} lines.`,
  onboardDownloadFailed: (file: string) => `⚠️ ${file} could not be downloaded from Telegram; nothing was changed. Send it again.`,
  onboardTooBig: (file: string, maxMb: number, maxLines: number) => `❌ ${file} is larger than ${maxMb} MB. Send at most ${n(maxLines)} lines per file; split a longer list into several files.`,
  onboardRefused: (file: string, problem: DocumentProblem) => `❌ ${file}: nothing was changed. ${documentProblem(problem)}`,
  onboardFailed: (file: string) => `⚠️ Adding agents from ${file} stopped before the end. Lines applied before it stay; send the file again to finish (known agents are updated, not added twice).`,
  onboardSummary: (file: string, s: OnboardingSummary) => [
    `Agents from ${file}:`,
    `added: ${n(s.added)}`,
    `updated: ${n(s.updated)}`,
    `invalid lines: ${n(s.invalid.length)}`,
    ...s.invalid.slice(0, MAX_LISTED_INVALID).map((l: InvalidLine) => `line ${l.line}: ${LINE_PROBLEM(l.problem)}`),
    ...(s.invalid.length > MAX_LISTED_INVALID ? [`… and ${n(s.invalid.length - MAX_LISTED_INVALID)} more`] : []),
  ].join('\n'),
} as const;

function documentProblem(p: DocumentProblem): string {
  switch (p.kind) {
    case 'empty': return 'The file is empty.';
    case 'not_text': return 'The file is not a text CSV file (save the sheet as CSV, UTF-8).';
    case 'malformed': return `The file is not valid CSV${p.line ? ` (line ${p.line})` : ''}: check its quotes.`;
    case 'no_header': return `Its first line must name the columns: ${p.expected.join(',')} (name and route may be left out).`;
    case 'too_many_lines': return `It has more than ${n(p.max)} lines: split it into several files.`;
  }
}
/** Minutes and seconds of a length in milliseconds: `1:02`, `10:00`. */
export function durationText(ms: number): string {
  const total = Math.round(ms / 1000);
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
}

/** The announcement an admin is asked to record (docs/recording.md has it too). */
export const DEFAULT_ANNOUNCEMENT = 'This call may be recorded for quality and training purposes. If you do not agree, please hang up now.';
const ANNOUNCEMENT_MINUTES = ANNOUNCEMENT_MAX_SECONDS / 60;

const POLICY_WORDS: Record<RecordingPolicy, string> = { off: 'off', on: 'on', consent: 'on, after the consent announcement' };

/** Call recording: the voice messages, their failures and the admins' commands. */
export const RECORDING_TEXT = {
  voiceCaption: (durationMs: number, callId: string) => `⏺ Call recording · ${durationText(durationMs)}\nCall ${callId}`,
  adminCaption: (durationMs: number, callId: string) => `⏺ Call recording · ${durationText(durationMs)}\nCall ${callId} (a copy for admins)`,
  /** Under a caption when the agent paused the recording: Asterisk records nothing meanwhile. */
  pausedLine: (pausedMs: number) => `⏸ Paused ${Math.round(pausedMs / 1000)} s (not in the recording)`,
  failed: (step: 'fetching' | 'sending', callId: string) => (step === 'fetching'
    ? `⚠️ The recording of this call could not be saved: Asterisk did not hand it over or it could not be converted. The call itself is not affected. (Call ${callId})`
    : `⚠️ The recording of this call is saved but could not be sent to you here. An admin can send it with /recording ${callId}.`),
  usage: 'Usage: /recording <call id> (the call id is under each recording and in the call export).',
  unknown: (callId: string) => `No recording for call ${callId}: the call was not recorded, or the id is wrong.`,
  notReady: (callId: string) => `The recording of call ${callId} is not ready yet (it is being fetched and converted). Try again in a minute.`,
  deleted: (callId: string, at: Date, days: number) => `The recording of call ${callId} was deleted on ${dateText(at)} (recordings are kept ${days} days).`,
  failedKept: (callId: string) => `The recording of call ${callId} could not be saved after the call, so there is nothing to send.`,
  notConfigured: 'Call recording is not set up on this instance.',
  policyUsage: 'Usage: /recording_policy (shows every route) · /recording_policy M|D (one route) · /recording_policy M|D off|on|consent (sets it)',
  policyLine: (route: RouteCode, policy: RecordingPolicy, source: 'admin' | 'config') =>
    `${ROUTE_NAME[route]} [${route}]: ${POLICY_WORDS[policy]}${source === 'config' ? ' (configuration default)' : ''}`,
  policyTitle: 'Recording policy per route:',
  policySet: (route: RouteCode, previous: RecordingPolicy, policy: RecordingPolicy) =>
    `✅ Recording on ${ROUTE_NAME[route]} [${route}]: ${POLICY_WORDS[policy]} (was ${POLICY_WORDS[previous]}). It applies from the next call.`,
  policyNeedsAnnouncement: (route: RouteCode) =>
    `Note: no consent announcement is recorded for ${ROUTE_NAME[route]} yet, so customers hear the default sound. Send /announcement ${route}, then a voice message.`,
  policyNeedsFfmpeg: 'Warning: ffmpeg is missing on this server, so recordings cannot be converted or sent. Install it (apt-get install ffmpeg).',
  announcementUsage: 'Usage: /announcement M|D, then send the announcement as a voice message or an audio file (or send it with the caption /announcement M).',
  announcementAsk: (route: RouteCode) =>
    `Send the consent announcement for ${ROUTE_NAME[route]} [${route}] now, as a voice message or an audio file (at most ${ANNOUNCEMENT_MINUTES} minutes). Suggested text: "${DEFAULT_ANNOUNCEMENT}"`,
  announcementNoMedia: 'Send the announcement as a voice message or an audio file, or /announcement M|D first.',
  announcementTooBig: (mb: number) => `That file is larger than ${mb} MB, so it was not downloaded. Send a shorter recording.`,
  announcementUnreadable: 'That file is not audio I can read, so nothing was changed. Send a voice message or an audio file (MP3, OGG, WAV, M4A).',
  announcementTooLong: `That recording is longer than ${ANNOUNCEMENT_MINUTES} minutes, so nothing was changed. Send a shorter one.`,
  announcementTimeout: 'Converting that recording took too long, so nothing was changed. Try again, or send a shorter one.',
  announcementDownloadFailed: 'The file could not be downloaded from Telegram, so nothing was changed. Send it again.',
  announcementSaved: (route: RouteCode, durationMs: number, served: boolean) =>
    `✅ Consent announcement for ${ROUTE_NAME[route]} [${route}] saved (${durationText(durationMs)}). ${served
      ? 'Customers hear it from the next call where the policy is consent.'
      : 'It cannot be played yet: set MEDIA_PORT (and MEDIA_PUBLIC_URL, the address Asterisk reaches) so Asterisk can fetch it.'}`,
  notAdmin: 'Only super admins can set the consent announcement.',
} as const;


/** What a network's announcement most likely said, from the cause the customer's leg ended with (call/outcomes.ts). */
const ANNOUNCED: Record<AnnouncedReason, string> = {
  not_in_service: 'the number is not in service',
  number_changed: 'the number has changed',
  busy: 'the line is busy',
  no_answer: 'nobody answered',
  unavailable: 'the phone is off or out of reach',
  rejected: 'the call was rejected',
  network_trouble: 'the network could not put the call through',
};

/** The customer's network's own audio before the answer (call/early-media.ts), as the status message says it. */
export const EARLY_MEDIA = {
  /** While the customer's phone rings: the agent hears the network, not callbot's ringback. */
  live: "🔊 You hear the customer's network: its ringback or an announcement",
  /** Under a call that ended unanswered after the network's audio; with what its cause says, when it says something. */
  ended: (reason: AnnouncedReason | null, cause: number | null | undefined): string => (reason
    ? `🔊 The customer's network played an announcement before the call failed: most likely ${ANNOUNCED[reason]} (cause ${cause}).`
    : "🔊 The customer's network played its own audio (ringback or an announcement) before the call ended."),
  /** Under the parties of a call, for one called in whose dial failed after an announcement its cause explains. */
  partyEnded: (label: string, reason: AnnouncedReason, cause: number | null | undefined): string =>
    `🔊 ${formatForDisplay(label)}'s network played an announcement before the call failed: most likely ${ANNOUNCED[reason]} (cause ${cause}).`,
} as const;

/** Supervisors (/supervisors, /live) and the messages of a supervision: the supervisor's and the agent's notice. */
export const SUPERVISION = {
  usage: 'Usage: /supervisors (list), /supervisors add <telegram_user_id> <phone>, /supervisors remove <telegram_user_id>',
  none: 'No supervisors yet. Add one with /supervisors add <telegram_user_id> <phone>; super admins may supervise with their agent phone.',
  list: (rows: readonly { telegramId: string; phone: string }[]) => `Supervisors (${rows.length}):\n${rows.map((r) => `${r.telegramId} · ${formatForDisplay(r.phone)}`).join('\n')}`,
  added: (telegramId: string, phone: string, isNew: boolean) => (isNew
    ? `✅ ${telegramId} is a supervisor; their phone ${formatForDisplay(phone)} rings when they listen. /live shows them the calls.`
    : `✅ Supervisor ${telegramId}'s phone is now ${formatForDisplay(phone)}.`),
  removed: (telegramId: string) => `${telegramId} is no longer a supervisor.`,
  unknown: (telegramId: string) => `${telegramId} is not a supervisor.`,
  notSupervisor: 'Only supervisors and super admins can see live calls.',
  noPhone: 'You have no phone to ring: a super admin lists you with /supervisors add <your telegram id> <phone>.',
  notSetUp: 'Supervision is not available on this instance.',
  liveTitle: (count: number, at: string) => `📡 Live calls (${count}), updated ${at} UTC:`,
  noLive: (at: string) => `📡 No live calls (updated ${at} UTC).`,
  liveLine: (i: number, agent: string, route: RouteCode, customer: string, stage: CallStage, talk: string | null, monitorable: boolean) =>
    `${i}. ${agent} [${route}] → ${maskedForDisplay(customer)} · ${STAGE_NAME[stage]}${talk ? ` · ${talk}` : ''}${monitorable ? '' : ' · not monitored'}`,
  listenButton: (i: number) => `🎧 Listen ${i}`,
  whisperButton: (i: number) => `🗣 Whisper ${i}`,
  bargeButton: (i: number) => `📢 Barge ${i}`,
  listen: '🎧 Listen',
  whisper: '🗣 Whisper',
  barge: '📢 Barge',
  leave: '⏹ Leave',
  modeName: { listen: 'listening', whisper: 'whispering to the agent', barge: 'in the call (barge)' } as Record<'listen' | 'whisper' | 'barge', string>,
  ringing: (agent: string, customer: string) => `🎧 Ringing your phone to supervise ${agent} → ${maskedForDisplay(customer)}…`,
  active: (agent: string, customer: string, mode: 'listen' | 'whisper' | 'barge') =>
    `🎧 Supervising ${agent} → ${maskedForDisplay(customer)}: ${SUPERVISION.modeName[mode]}. Switch below; hanging up leaves the call going.`,
  ended: (agent: string, customer: string, why: string, seconds: number | null) =>
    `Supervision of ${agent} → ${maskedForDisplay(customer)} ended: ${why}${seconds !== null ? ` (${seconds} s)` : ''}.`,
  endReason: {
    call_ended: 'the call ended', supervisor_left: 'you hung up', supervisor_no_answer: 'your phone did not answer', agent_left: 'the agent left the call',
    ended_by_supervisor: 'you left', failed: 'Asterisk refused a request',
  } as Record<string, string>,
  refusal: {
    no_such_call: 'That call has ended.', not_connected: 'That call is not connected yet: try again once it is.',
    not_monitored: 'Calls on that route may not be monitored (MONITOR_ROUTES).', own_call: 'That is your own call.',
    already_supervising: 'You are supervising another call: leave it first.', no_such_supervision: 'This supervision has ended.',
    not_now: 'That mode is not available now.',
  } as Record<string, string>,
  /** A line on the agent's call status message while a supervisor is on the call (MONITOR_NOTICE). */
  agentNotice: '🎧 A supervisor is on this call.',
} as const;

/** Supervision in cluster mode: why the owner of the call's server ended one or did not ring. */
export const CLUSTER_SUPERVISION = {
  endReason: { restart: 'the instance running the call stopped' } as Record<string, string>,
  stale: 'Your request to supervise waited too long for the instance running the call: tap again under /live.',
} as const;

/** A time as `/webhooks` shows it: UTC to the second, the clock receivers log by. */
function webhookTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

const URL_PROBLEM: Record<UrlProblem, string> = {
  not_a_url: 'That is not a URL. Write it whole, e.g. https://crm.example.com/callbot-events',
  not_http: 'Only http:// and https:// URLs can receive events.',
  has_credentials: 'The URL holds a user name or password. Leave them out: receivers check the signature instead.',
  too_long: 'That URL is longer than 2048 characters.',
};

const eventNames = (events: readonly WebhookEventType[] | null) => (events ? events.map((e) => e.slice('call.'.length)).join(', ') : 'all events');

export const WEBHOOK_TEXT = {
  usage: 'Usage: /webhooks (lists them) · /webhooks add <url> [events] · /webhooks remove <id>\n'
    + `Events (all when none are named): ${WEBHOOK_EVENT_TYPES.map((e) => e.slice('call.'.length)).join(', ')}`,
  notSetUp: 'Webhooks are not set up on this instance.',
  urlRefused: (problem: UrlProblem) => `❌ ${URL_PROBLEM[problem]}`,
  unknownEvents: (unknown: readonly string[]) =>
    `❌ Unknown event${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}. Known: ${WEBHOOK_EVENT_TYPES.map((e) => e.slice('call.'.length)).join(', ')}.`,
  added: (id: number, url: string, events: readonly WebhookEventType[] | null, secret: string) => [
    `✅ Webhook #${id} added: ${url} (${eventNames(events)}).`,
    '',
    `Signing secret (shown only this once; keep it in the receiver's settings, then delete this message):`,
    secret,
    '',
    'Each request carries Callbot-Event-Id, Callbot-Timestamp and Callbot-Signature (t=<timestamp>,v1=<HMAC-SHA256 of "<timestamp>.<body>">); see docs/webhooks.md.',
  ].join('\n'),
  badId: 'Usage: /webhooks remove <id> (the number /webhooks shows after #).',
  removed: (id: number) => `✅ Webhook #${id} removed, with the events still queued for it.`,
  noSuchEndpoint: (id: number) => `There is no webhook #${id}. /webhooks lists them.`,
  none: 'No webhooks yet. Add one with /webhooks add <url> [events].',
  listTitle: (count: number) => `Webhooks (${count}):`,
  listing: (e: EndpointListing) => {
    const a = e.activity;
    const lines = [
      `#${e.id} ${e.url} — ${eventNames(e.events)}`,
      `  Last delivered: ${a.lastDelivered ? `${webhookTime(a.lastDelivered.at)} (${a.lastDelivered.result ?? '—'})` : 'never'}`,
      `  Queued: ${a.pending}${a.retrying > 0 ? ` (${a.retrying} retrying)` : ''} · given up: ${a.failed}`,
    ];
    if (a.lastFailure) lines.push(`  Last failure: ${webhookTime(a.lastFailure.at)} (${a.lastFailure.result ?? '—'})`);
    return lines.join('\n');
  },
} as const;

/** The HTTP API's side in Telegram: call requests from a CRM, click-to-call links, /apikeys and the /settings switch. */
export const INTEGRATION_TEXT = {
  prompt: (requester: string, e164: string) => `📞 ${requester} asks you to call ${formatForDisplay(e164)}`,
  callButton: '📞 Call',
  notNowButton: 'Not now',
  placing: (requester: string, e164: string) => `📞 ${requester} asked for a call to ${formatForDisplay(e164)}: calling your phone now.`,
  notNow: 'Not called.',
  expired: 'This call request has expired: ask for it again from your CRM.',
  taken: 'This call request was already answered.',
  notYours: 'This call request is for another agent.',
  linkPrompt: (e164: string) => `📞 Call ${formatForDisplay(e164)}?`,
  linkCancelButton: 'Cancel',
  linkCancelled: 'Not called.',
  linkBad: 'This link does not hold a number I can call. A click-to-call link looks like t.me/<bot>?start=call_12025550123.',
  autoLine: (on: boolean) => `Calls from your CRM: ${on ? 'placed at once, without asking' : 'asked first (📞 Call / Not now)'}`,
  autoOnButton: '📲 Accept CRM calls without asking',
  autoOffButton: '📲 Ask me before CRM calls',
  autoChanged: (on: boolean) => (on
    ? '✅ Calls your CRM asks for are now placed at once, without asking you first.'
    : '✅ Calls your CRM asks for now wait for your 📞 Call.'),
  keysTitle: 'HTTP API keys:',
  keysEmpty: 'No API keys yet. Make one with /apikeys add <name> <scopes…> [rate/min], scopes: calls:place calls:read dnc:manage.',
  keyLine: (name: string, scopes: string, rate: number, created: Date, revoked: Date | null) =>
    `${revoked ? '⛔' : '🔑'} ${name} · ${scopes.split(' ').join(', ')} · ${rate}/min · made ${dateText(created)}${revoked ? ` · revoked ${dateText(revoked)}` : ''}`,
  keysUsage: 'Usage: /apikeys · /apikeys add <name> <scopes…> [rate/min] · /apikeys revoke <name>. Scopes: calls:place calls:read dnc:manage. Example: /apikeys add hubspot calls:place calls:read 120',
  keyMade: (name: string, token: string) =>
    `🔑 Key ${name} made. This is the only time it is shown; keep it in your CRM's secret settings:\n\n${token}\n\nSend it as: Authorization: Bearer <key>`,
  keyRevoked: (name: string) => `⛔ Key ${name} revoked: requests with it are refused from now on.`,
  keyUnknown: (name: string) => `No live key is named ${name}.`,
  keyRefused: {
    bad_name: 'A key\'s name is 1-16 characters of a-z 0-9 _ - (starting with a letter or digit).',
    no_scopes: 'Name at least one scope: calls:place calls:read dnc:manage.',
    unknown_scope: 'Unknown scope. The scopes are: calls:place calls:read dnc:manage.',
    bad_rate: 'The rate is a whole number of requests per minute, from 1 to 100000.',
    name_taken: 'A key with that name exists (or existed): choose another name.',
  },
  apiOff: 'The HTTP API is not set up on this instance.',
} as const;

/**
 * The Telegram Mini App (miniapp/): what its server answers, and every word its page shows (the page
 * reads PAGE from /app/api/texts, so its wording lives here too).
 */
export const MINIAPP = {
  signInRefused: {
    missing: 'Open this app from the bot\'s menu button in Telegram.',
    malformed: 'This sign-in is not one Telegram made. Open the app from the bot\'s menu button.',
    bad_hash: 'This sign-in is not signed by Telegram for this bot. Open the app from the bot\'s menu button.',
    stale: 'This sign-in has expired. Close the app and open it again from the bot\'s menu button.',
    from_the_future: 'This sign-in is dated in the future: check this device\'s clock, then open the app again.',
    no_user: 'Telegram did not say who you are. Open the app from the bot\'s menu button in a private chat.',
  } as Record<string, string>,
  notAllowed: {
    unknown: 'You are not an agent of this bot. Send /start to the bot to ask for access.',
    pending: 'Your access request is waiting for an admin\'s approval.',
    revoked: 'Your access was revoked.',
    suspended: 'Your access is suspended. An admin can lift it.',
  } as Record<string, string>,
  sessionEnded: 'Your session ended. Reopen the app.',
  /** The menu button's label in every private chat (Telegram shows it beside the message field). */
  menuButton: 'Dialer',
  noAgent: 'Only an active agent can place calls.',
  notWatcher: 'Only supervisors and admins see the wallboard.',
  badNumber: 'Type the customer\'s number.',
  noSuchCall: 'That call has ended.',
  stage: {
    requested: 'Starting…',
    agent_dialing: 'Calling your phone…',
    agent_ringing: 'Your phone is ringing',
    agent_answered: 'You answered — dialing the customer…',
    target_dialing: 'Dialing the customer…',
    target_ringing: 'The customer\'s phone is ringing',
    connected: 'Connected',
    ended: 'Call ended',
  } as Record<CallStage, string>,
  agentState: { idle: 'Idle', ringing: 'Ringing', in_call: 'In a call', after_call: 'After-call work', suspended: 'Suspended' },
  /** The page's own words. */
  PAGE: {
    title: 'callbot',
    signingIn: 'Signing in…',
    dialer: 'Dialer',
    wallboard: 'Wallboard',
    numberLabel: 'Customer\'s number',
    numberHint: 'Type it as you would dial it; it is formatted as you type.',
    route: 'Route',
    callerId: 'Caller ID',
    notSet: 'not set',
    call: 'Call',
    placing: 'Placing the call…',
    hangUp: 'Hang up',
    transfer: 'Transfer',
    transferTo: 'Transfer to',
    transferCold: 'Transfer now',
    transferWarm: 'Talk to them first',
    transferNumberLabel: 'Or a number',
    transferNoAgents: 'No colleague is free on this route.',
    /** A warm transfer's consultation on the call's card: "Consulting Bob", "Calling Bob…". */
    consulting: 'Consulting',
    consultRinging: 'Calling',
    consultComplete: 'Complete',
    consultCompleteHint: 'Complete the transfer: the customer goes to',
    consultBack: 'Back',
    consultBackHint: 'Back to the customer; hang up on',
    consultConference: 'Conference',
    consultConferenceHint: 'Conference: the customer, you and',
    cancel: 'Cancel',
    yourCall: 'Your call',
    recent: 'Recent calls',
    recentEmpty: 'No calls yet.',
    redial: 'Call again',
    callbacks: 'Callbacks due',
    callbacksEmpty: 'No callbacks pending.',
    callBack: 'Call back',
    liveCalls: 'Live calls',
    liveCallsEmpty: 'No live calls.',
    agents: 'Agents',
    today: 'Today',
    calls: 'Calls',
    answered: 'Answered',
    answerRate: 'Answer rate',
    talkTime: 'Talk time',
    listen: 'Listen',
    whisper: 'Whisper',
    barge: 'Barge in',
    live: 'Live',
    reconnecting: 'Reconnecting…',
    talk: 'Talk',
  },
} as const;

/** How long ago, for a return call's "you called them 2 h ago". */
function agoText(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 60) return minutes <= 1 ? 'a minute ago' : `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

/** A customer calling a pool number back (docs/return-calls.md). */
export const RETURN_CALL = {
  /** The status message's first lines: who calls back, the earlier call (its outcome and note), a do-not-call listing. */
  lines: (call: ReturnCallContext, at: number, viewerAgentId?: number): string[] => {
    const { lastCall } = call;
    const who = lastCall ? (lastCall.agentId === viewerAgentId ? 'you called them' : 'a colleague called them') : undefined;
    const lines = [`📲 Return call from ${formatForDisplay(call.customerNumber)}${lastCall ? ` — ${who} ${agoText(at - lastCall.at)}` : ''}`];
    if (lastCall?.disposition) lines.push(`Last outcome: ${lastCall.disposition}`);
    if (lastCall?.note) lines.push(`Note: ${lastCall.note}`);
    if (call.doNotCall !== undefined) lines.push(`🚫 On the do-not-call list (${call.doNotCall || 'listed'}): they called us, so this call goes on; do not call them back.`);
    return lines;
  },
  /** To the agent who called them, when nobody took their call back. */
  missed: (call: ReturnCallContext, at: number): string => {
    const earlier = call.lastCall ? ` You called them ${agoText(at - call.lastCall.at)}.` : '';
    return `📵 Missed return call from ${formatForDisplay(call.customerNumber)} to ${formatForDisplay(call.calledNumber)}: nobody answered.${earlier}`;
  },
  callBackButton: '📞 Call back',
} as const;
