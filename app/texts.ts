/** Every user-facing string of the bot, in one place. */
import type { RouteCode } from '../call/call-types';

export const ROUTE_NAME: Record<RouteCode, string> = { M: 'Main', D: 'Development' };

/** `[M]`, `[D]`, or `[–]` when no route is chosen: shown wherever a caller ID is. */
export function routeTag(route: RouteCode | null | undefined): string {
  return route ? `[${route}]` : '[–]';
}

export function callerIdLine(callerId: string | null | undefined, route: RouteCode | null | undefined): string {
  return `Caller ID: ${callerId ?? 'not set'} ${routeTag(route)}`;
}

export const T = {
  privateOnly: 'This bot works in private chats only. Message me directly.',
  unknownCommand: 'I do not know that command. Send /help to see what I can do.',
  notText: 'Send me a command, for example /call +12025550123. /help lists them all.',
  tooLong: 'That message is too long for me. Send /help to see the commands.',
  internalError: 'Something went wrong on our side. Please try again.',

  greeting: (name: string) => `Hi ${name}! Place a call with /call <number>, or use the menu below.`,
  adminGreeting: (name: string) => `Hi ${name}! You are a super admin. /help lists the admin commands.`,
  accessRequested: 'Your access request went to the admins. You will get a message here once it is approved.',
  accessPending: 'Your access request is still pending. An admin will approve it soon.',
  noAccess: 'You have no access to this bot. Ask an admin if you think this is a mistake.',
  accessRequestForAdmin: (name: string, username: string | null, id: string) =>
    `🆕 Access request\nName: ${name}\nUsername: ${username ? `@${username}` : '—'}\nUser id: ${id}`,

  help: [
    'Commands:',
    '/call <number> — call a number, e.g. /call +12025550123 or /call (202) 555-0123',
    '/hangup — end your live call',
    '/history — your last 10 calls',
    '/settings — your caller ID, route and phone',
    '/route — show or switch your route (/route M or /route D)',
    '/help — this list',
  ].join('\n'),
  adminHelp: [
    '',
    'Admin commands:',
    '/authorize <telegram_user_id> <phone> [caller_id]',
    '/revoke <telegram_user_id>',
    '/setphone <telegram_user_id> <phone>',
    '/setcallerid <telegram_user_id> <number>',
    '/agents — every agent',
    '/calls — live calls',
    '/audit — the last 20 audit events',
  ].join('\n'),

  usage: {
    call: 'Usage: /call <number>, e.g. /call +12025550123',
    route: 'Usage: /route M (Main) or /route D (Development); /route alone shows your route.',
    authorize: 'Usage: /authorize <telegram_user_id> <phone> [caller_id]',
    revoke: 'Usage: /revoke <telegram_user_id>',
    setphone: 'Usage: /setphone <telegram_user_id> <phone>',
    setcallerid: 'Usage: /setcallerid <telegram_user_id> <number>',
    noArgs: (command: string) => `Usage: /${command} (no arguments)`,
  },

  chooseRouteFirst: 'Choose a route first:',
  liveCallExists: 'You already have a call in progress — see the status message above, or /hangup to end it.',
  noLiveCall: 'You have no call in progress.',
  hangingUp: 'Hanging up…',
  numberRefused: (reason: string) => `❌ ${reason}`,

  currentRoute: (route: RouteCode | null) => (route ? `Your route: [${ROUTE_NAME[route]}] ${routeTag(route)}` : 'You have not chosen a route yet.'),
  selectRoute: 'Select the route for your outbound calls:',
  confirmRoute: (route: RouteCode) => `Are you sure you want to switch to the ${ROUTE_NAME[route]} route?\nAll outbound calls will now go through this route.`,
  routeChanged: (route: RouteCode) => `✅ Your route has been successfully changed to [${ROUTE_NAME[route]}]!`,
  routeUnchanged: (route: RouteCode | null) => `Route unchanged${route ? `: still [${ROUTE_NAME[route]}]` : ''}.`,

  settings: (callerId: string | null, route: RouteCode | null, phone: string | null) =>
    `⚙️ Settings\n${callerIdLine(callerId, route)}\nYour phone: ${phone ?? 'not set'}`,

  historyEmpty: 'No calls yet.',
  historyTitle: 'Your last calls:',

  staleButton: 'This button is no longer valid.',
  notYourCall: 'That is not your call.',
  notAllowed: 'You are not allowed to do that.',

  // admin
  authorized: (id: string, phone: string, callerId: string | null) => `✅ Agent ${id} is authorized. Phone ${phone}, caller ID ${callerId ?? 'the default one'}.`,
  youAreAuthorized: 'You are now authorized to place calls. Choose a route in /settings, then /call <number>.',
  revoked: (id: string, endedCall: boolean) => `🚫 Agent ${id} is revoked.${endedCall ? ' Their live call was ended.' : ''}`,
  youAreRevoked: 'Your access to this bot has been revoked.',
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
  noAgents: 'No agents yet.',
  noLiveCalls: 'No live calls.',
  auditEmpty: 'The audit log is empty.',
  interrupted: '⚠️ Interrupted: the service restarted during this call.',
} as const;
