import type { Incoming } from '../handler-context';
import { WEBHOOK_TEXT } from '../texts';

const ENDPOINT_ID = /^#?(\d{1,9})$/;

/** /webhooks · /webhooks add <url> [events] · /webhooks remove <id> (super admins). */
export async function onWebhooks(m: Incoming): Promise<void> {
  const webhooks = m.deps.webhooks;
  if (!webhooks) return void (await m.reply(WEBHOOK_TEXT.notSetUp));
  const [sub, ...words] = m.args.split(/\s+/).filter(Boolean);
  const action = sub?.toLowerCase();
  if (action === undefined) {
    const listings = await webhooks.list();
    if (listings.length === 0) return void (await m.reply(WEBHOOK_TEXT.none));
    return void (await m.reply([WEBHOOK_TEXT.listTitle(listings.length), ...listings.map(WEBHOOK_TEXT.listing)].join('\n\n')));
  }
  if (action === 'add' && words.length > 0) {
    const answer = await webhooks.add(m.userId, words[0]!, words.slice(1));
    if (answer.ok) return void (await m.reply(WEBHOOK_TEXT.added(answer.id, answer.url, answer.events, answer.secret)));
    return void (await m.reply(answer.problem === 'unknown_events' ? WEBHOOK_TEXT.unknownEvents(answer.unknown) : WEBHOOK_TEXT.urlRefused(answer.problem)));
  }
  if (action === 'remove') {
    const id = words.length === 1 ? ENDPOINT_ID.exec(words[0]!)?.[1] : undefined;
    if (id === undefined) return void (await m.reply(WEBHOOK_TEXT.badId));
    const removed = await webhooks.remove(m.userId, Number(id));
    return void (await m.reply(removed ? WEBHOOK_TEXT.removed(Number(id)) : WEBHOOK_TEXT.noSuchEndpoint(Number(id))));
  }
  await m.reply(WEBHOOK_TEXT.usage);
}
