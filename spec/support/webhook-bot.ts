import { ADMIN_ID, BotHarness, type BotHarnessOptions, type TestUser } from './bot-harness';
import { WebhookReceiver } from './webhook-receiver';

/** The app a CRM's webhooks come from: the bot, its super admin Ada, the agent Ann, and a receiver not yet listening. */
export interface WebhookBot {
  h: BotHarness;
  admin: TestUser;
  ann: TestUser;
  receiver: WebhookReceiver;
}

/**
 * Starts the bot with `options` (webhooks wired in), Ann an agent on the Main route with a verified
 * caller ID, and a fresh receiver that starts listening when the spec registers it (addReceiver).
 */
export async function startWebhookBot(options: BotHarnessOptions): Promise<WebhookBot> {
  const receiver = new WebhookReceiver();
  const h = await BotHarness.start(options);
  await h.verifiedCallerIds(['+15551234567']);
  await h.stores.agents.authorize({ telegramId: '2001', phone: '+15551230001', callerId: '+15551234567', by: String(ADMIN_ID), displayName: 'Ann' });
  await h.stores.agents.setRoute('2001', 'M');
  return { h, admin: h.user(ADMIN_ID, 'Ada', 'ada_admin'), ann: h.user(2001, 'Ann', 'ann'), receiver };
}

/** Stops the app (the harness in use, a restarted one included) and then the receiver. */
export async function stopWebhookBot(h: BotHarness, receiver: WebhookReceiver): Promise<void> {
  await h.stop();
  await receiver.close();
}

/** Sends `text` as `user` and resolves with the text of the bot's next message to them. */
export async function answer(user: TestUser, text: string): Promise<string> {
  const before = user.messages().length;
  await user.send(text);
  return (await user.waitForNew(before)).text;
}

/**
 * Starts the receiver and registers it from Telegram as `admin` with `/webhooks add <url> [events]`;
 * its URL and the signing secret the reply showed (once). Throws with the reply when it holds no secret.
 */
export async function addReceiver(admin: TestUser, receiver: WebhookReceiver, events = ''): Promise<{ url: string; secret: string }> {
  const url = await receiver.start();
  const reply = await answer(admin, `/webhooks add ${url} ${events}`.trim());
  const secret = /^(whsec_[A-Za-z0-9_-]{43})$/m.exec(reply)?.[1];
  if (!secret) throw new Error(`no signing secret in the reply to /webhooks add: ${reply}`);
  return { url, secret };
}
