import * as admin from './commands/admin';
import { onCall, onHangup } from './commands/call';
import { onCallbacks } from './commands/callbacks';
import { onDnc } from './commands/dnc';
import { onHistory } from './commands/history';
import { onNumbers } from './commands/numbers';
import { onExport, onOnboard, onStats } from './commands/reports';
import { onAnnouncement, onRecording, onRecordingPolicy } from './commands/recording';
import { onRoute, onSettings } from './commands/route';
import { onStart } from './commands/start';
import { onLive, onSupervisors } from './commands/supervision';
import { onWebhooks } from './commands/webhooks';
import { onApiKeys } from './commands/integration';
import type { Incoming } from './handler-context';
import { COMMAND_TEXT, T } from './texts';

export type CommandAudience = 'anyone' | 'agent' | 'admin';

export interface Command {
  name: string;
  /** Who may use it: anyone (they get a role-aware answer), active agents, or super admins. */
  who: CommandAudience;
  run: (m: Incoming) => Promise<void>;
  /** Refused with a usage line when sent with arguments. */
  noArgs?: boolean;
  /** Listed in /help and Telegram's command menu (under COMMAND_TEXT), or not at all. */
  listed: boolean;
}

/** Every command, once: routing, /help and the command menus are all read from here. */
export const COMMANDS: readonly Command[] = [
  { name: 'start', who: 'anyone', run: onStart, listed: false },
  { name: 'call', who: 'agent', run: onCall, listed: true },
  { name: 'hangup', who: 'agent', run: onHangup, noArgs: true, listed: true },
  { name: 'history', who: 'agent', run: onHistory, noArgs: true, listed: true },
  { name: 'settings', who: 'agent', run: onSettings, noArgs: true, listed: true },
  { name: 'route', who: 'agent', run: onRoute, listed: true },
  // Agents see theirs, super admins everyone's: it answers each itself.
  { name: 'callbacks', who: 'anyone', run: onCallbacks, noArgs: true, listed: true },
  { name: 'help', who: 'anyone', run: onHelp, noArgs: true, listed: true },
  { name: 'authorize', who: 'admin', run: admin.onAuthorize, listed: true },
  { name: 'revoke', who: 'admin', run: admin.onRevoke, listed: true },
  { name: 'setphone', who: 'admin', run: admin.onSetPhone, listed: true },
  { name: 'setcallerid', who: 'admin', run: admin.onSetCallerId, listed: true },
  { name: 'agents', who: 'admin', run: admin.onAgents, noArgs: true, listed: true },
  { name: 'calls', who: 'admin', run: admin.onCalls, noArgs: true, listed: true },
  { name: 'audit', who: 'admin', run: admin.onAudit, noArgs: true, listed: true },
  { name: 'export', who: 'anyone', run: onExport, listed: true },
  { name: 'stats', who: 'admin', run: onStats, listed: true },
  { name: 'onboard', who: 'admin', run: onOnboard, noArgs: true, listed: true },
  { name: 'dnc', who: 'admin', run: onDnc, listed: true },
  { name: 'numbers', who: 'admin', run: onNumbers, listed: true },
  { name: 'recording', who: 'admin', run: onRecording, listed: true },
  { name: 'recording_policy', who: 'admin', run: onRecordingPolicy, listed: true },
  { name: 'announcement', who: 'admin', run: onAnnouncement, listed: true },
  // Supervisors need not be agents: /live checks who may itself.
  { name: 'live', who: 'anyone', run: onLive, noArgs: true, listed: true },
  { name: 'supervisors', who: 'admin', run: onSupervisors, listed: true },
  { name: 'webhooks', who: 'admin', run: onWebhooks, listed: true },
  { name: 'apikeys', who: 'admin', run: onApiKeys, listed: true },
];

const BY_NAME = new Map(COMMANDS.map((c) => [c.name, c]));

export function commandNamed(name: string): Command | undefined {
  return BY_NAME.get(name);
}

const listed = (admins: boolean): Command[] => COMMANDS.filter((c) => c.listed && (admins ? c.who === 'admin' : c.who !== 'admin'));
const textOf = (c: Command) => COMMAND_TEXT[c.name as keyof typeof COMMAND_TEXT];

/** The command menus: agents see theirs; super admins see theirs and the admin ones. */
export function commandMenus(): { agent: { command: string; description: string }[]; admin: { command: string; description: string }[] } {
  const entry = (c: Command) => ({ command: c.name, description: textOf(c).menu });
  const agent = listed(false).map(entry);
  return { agent, admin: [...agent, ...listed(true).map(entry)] };
}

export async function onHelp(m: Incoming): Promise<void> {
  const lines: string[] = [T.helpTitle, ...listed(false).map((c) => textOf(c).help)];
  if (m.role.kind === 'admin') lines.push('', T.adminHelpTitle, ...listed(true).map((c) => textOf(c).help));
  await m.reply(lines.join('\n'));
}
