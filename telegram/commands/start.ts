import { accessRequest, mainMenu } from '../menus/keyboards';
import { displayName, type Incoming } from '../handler-context';
import { T } from '../texts';
import { onStartParameter } from './integration';

/**
 * /start: greets agents (or, from a click-to-call link, asks to call its number), and turns an unknown user into an access request for every super admin;
 * whoever has no access is told their Telegram user id, which /authorize takes.
 */
export async function onStart(m: Incoming): Promise<void> {
  const { role, deps } = m;
  // A t.me link's parameter (click-to-call); whoever may not call gets the plain /start's answer.
  if (await onStartParameter(m)) return;
  switch (role.kind) {
    case 'admin':
      await m.reply(T.adminGreeting(m.from.first_name), role.agent ? mainMenu() : undefined);
      return;
    case 'agent':
      await m.reply(T.greeting(m.from.first_name), mainMenu());
      return;
    case 'pending':
      await m.reply(T.withTelegramId(T.accessPending, m.userId));
      return;
    case 'revoked':
      await m.reply(T.withTelegramId(T.noAccess, m.userId));
      return;
    case 'suspended':
      await m.reply(T.youAreSuspended);
      return;
    case 'unknown': {
      const name = displayName(m.from);
      const { isNew } = await deps.accounts.requestAccess({ telegramId: m.userId, username: m.from.username ?? null, displayName: name });
      await m.reply(T.withTelegramId(isNew ? T.accessRequested : T.accessPending, m.userId));
      if (!isNew) return;
      for (const adminId of deps.config.telegram.superAdminIds) {
        await deps.out.send(adminId, T.accessRequestForAdmin(name, m.from.username ?? null, m.userId), accessRequest(m.userId));
      }
    }
  }
}
