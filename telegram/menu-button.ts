/**
 * The bot's menu button, set to open the Mini App (MINIAPP_URL) in every private chat; without the
 * URL the button is left as it is (Telegram's default: the command list).
 */
import type { Bot } from 'node-telegram-bot-api';
import type { Logger } from '../config/logger';
import { botApiFailure } from './bot-api-check';
import { MINIAPP } from './texts';

export async function setMiniAppMenuButton(api: Pick<Bot['api'], 'setChatMenuButton'>, url: string | undefined, logger: Logger): Promise<void> {
  if (!url) return;
  try {
    await api.setChatMenuButton({ menu_button: { type: 'web_app', text: MINIAPP.menuButton, web_app: { url } } });
  } catch (err) {
    const failure = botApiFailure('setChatMenuButton', err);
    logger.warn(`${failure.message}; the Mini App's menu button is not set (agents can still use the commands)`, failure.fields);
  }
}
