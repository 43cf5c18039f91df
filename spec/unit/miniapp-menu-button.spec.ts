import { silentLogger } from '../../config/logger';
import { setMiniAppMenuButton } from '../../telegram/menu-button';

describe('miniapp: menu button', () => {
  const asked: unknown[] = [];
  const api = { setChatMenuButton: async (params?: unknown) => { asked.push(params); return true as const; } };
  beforeEach(() => { asked.length = 0; });

  it('given MINIAPP_URL, when the bot starts, then the menu button opens the Mini App at that URL', async () => {
    await setMiniAppMenuButton(api, 'https://callbot.example.com/app/', silentLogger());
    expect(asked).toEqual([{ menu_button: { type: 'web_app', text: 'Dialer', web_app: { url: 'https://callbot.example.com/app/' } } }]);
  });

  it('given no MINIAPP_URL, when the bot starts, then the menu button is left alone', async () => {
    await setMiniAppMenuButton(api, undefined, silentLogger());
    expect(asked).toEqual([]);
  });

  it('given Telegram refuses, when the bot starts, then it only warns', async () => {
    const refusing = { setChatMenuButton: async () => { throw new Error('Bad Request: WEB_APP_URL_INVALID'); } };
    await expect(setMiniAppMenuButton(refusing, 'https://callbot.example.com/app/', silentLogger())).resolves.toBeUndefined();
  });
});
