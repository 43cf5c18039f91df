/** Every user-facing string of the bot, in one place: the core and the engine return codes and facts. */
import type { CallFailure, CallOutcome, CallStage, ConsultEnd, LegName, PartyView, RecordingView, RouteCode } from '../call/call-types';
import { formatForDisplay, type NumberCheck, type NumberRefusal } from '../phone/number-policy';
import type { CallUpdate } from '../call/call-update';
import type { CallRefusal } from '../engine/call-engine';
import type { PartyAnswer, PartyRefusal } from '../engine/call-parties';
import { CALL_REQUEST_MAX_AGE_MS } from '../engine/call-intake';
import type { RuleRefusal, RuleWait } from '../compliance/rules/call-rule';
import type { DncEntry } from '../store/dnc-store';
import type { DncImportCounts, DncImportSummary } from '../compliance/dnc-import';
import type { VerificationResult } from '../verification/verification-machine';
import type { PendingVerification, VerifyOutcome, VerifyRefusal } from '../verification/caller-id-verification';
import type { AbuseAlert, AlertKind } from '../compliance/abuse-detector';

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
  help: { help: '/help — this list', menu: 'What I can do' },
  authorize: { help: '/authorize <telegram_user_id> <phone> [caller_id]', menu: 'Authorize an agent' },
  revoke: { help: '/revoke <telegram_user_id>', menu: 'Revoke an agent' },
  setphone: { help: '/setphone <telegram_user_id> <phone>', menu: "Set an agent's phone" },
  setcallerid: { help: '/setcallerid <telegram_user_id> <number>', menu: "Set an agent's caller ID" },
  agents: { help: '/agents — every agent', menu: 'List agents' },
  calls: { help: '/calls — live calls', menu: 'Live calls' },
  audit: { help: '/audit — the last 20 audit events', menu: 'Audit log' },
  numbers: { help: '/numbers — the caller-ID pool (/numbers add|remove|verify <number> [M|D])', menu: 'Caller-ID pool' },
  dnc: {
    help: '/dnc add <number> [reason] · /dnc remove <number> · /dnc check <number> · /dnc export — the do-not-call list; send a file (one number per line) to import it',
    menu: 'Do-not-call list',
  },
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
