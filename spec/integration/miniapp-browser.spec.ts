import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { ADMIN_ID, BotHarness } from '../support/bot-harness';
import { MiniAppService } from '../support/miniapp-service';
import { waitFor } from '../support/wait-for';

/**
 * The Mini App in a real browser (Debian's chromium, driven by playwright-core) against the service
 * on the ARI simulator. The page is opened as Telegram opens it: initData and the theme in the URL's
 * hash (tgWebAppData, tgWebAppThemeParams), read by Telegram's own script in the bundle.
 * MINIAPP_SCREENSHOTS=1 writes the views, light and dark, to docs/images (docs/miniapp.md shows them).
 */
function systemChromium(): string | undefined {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const executablePath = systemChromium();
const inCi = process.env.CI === 'true';
const PHONE = { width: 390, height: 844 };
const THEMES = {
  light: { bg_color: '#ffffff', secondary_bg_color: '#efeff4', section_bg_color: '#ffffff', text_color: '#000000', hint_color: '#8e8e93', link_color: '#2481cc', button_color: '#2481cc', button_text_color: '#ffffff', destructive_text_color: '#e53935' },
  dark: { bg_color: '#212121', secondary_bg_color: '#0f0f0f', section_bg_color: '#212121', text_color: '#ffffff', hint_color: '#aaaaaa', link_color: '#8774e1', button_color: '#8774e1', button_text_color: '#ffffff', destructive_text_color: '#ef5350' },
} as const;
const SCREENSHOTS = path.join(__dirname, '../../docs/images');
/** A browser start and four pages on two shared cores take a while; conditions are still awaited, not slept on. */
const BROWSER_TEST_MS = 120_000;

if (!executablePath && inCi) {
  describe('miniapp: in a browser', () => {
    it('given CI, then Debian\'s chromium is installed (.ci/run installs it)', () => {
      throw new Error('chromium is missing: CI must run the Mini App\'s browser tests. Install it with apt-get install chromium (.ci/run does), or set CHROMIUM_PATH.');
    });
  });
} else if (!executablePath) {
  // eslint-disable-next-line no-console
  console.warn('MINIAPP BROWSER TESTS SKIPPED: no chromium on this machine (apt-get install chromium)');
}

(executablePath ? describe : describe.skip)('miniapp: in a browser', () => {
  let h: BotHarness;
  let app: MiniAppService;
  let browser: Browser;
  /** What the pages reported as errors (script errors, refused loads, a blocked resource under the page's policy). */
  let pageErrors: string[];

  beforeEach(async () => {
    h = await BotHarness.start();
    await h.verifiedCallerIds(['+15551234567']);
    await h.stores.agents.authorize({ telegramId: '2001', phone: '+15551230001', callerId: '+15551234567', by: String(ADMIN_ID), displayName: 'Ann' });
    await h.stores.agents.setRoute('2001', 'M');
    await h.stores.agents.authorize({ telegramId: '2002', phone: '+15551230002', callerId: null, by: String(ADMIN_ID), displayName: 'Bob' });
    app = await MiniAppService.start(h);
    // Root (CI's user) cannot use chromium's sandbox.
    pageErrors = [];
    browser = await chromium.launch({ executablePath: executablePath!, headless: true, args: ['--no-sandbox'] });
  });

  afterEach(async () => {
    await browser?.close();
    await app?.stop();
    await h?.stop();
  });

  /** A page at a phone's width, opened as Telegram opens the app: initData and the theme in the hash. */
  async function open(initData: string, theme: keyof typeof THEMES = 'light'): Promise<Page> {
    const context = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, colorScheme: theme });
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (message) => { if (message.type() === 'error') pageErrors.push(message.text()); });
    page.on('response', (response) => { if (response.status() >= 400) pageErrors.push(`${response.status()} ${response.url()}`); });
    const hash = new URLSearchParams({ tgWebAppData: initData, tgWebAppVersion: '8.0', tgWebAppPlatform: 'web', tgWebAppThemeParams: JSON.stringify(THEMES[theme]) });
    await page.goto(`${app.url}/app/#${hash.toString()}`);
    return page;
  }

  async function screenshot(page: Page, name: string): Promise<void> {
    if (process.env.MINIAPP_SCREENSHOTS !== '1') return;
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, `miniapp-${name}.png`), fullPage: false });
  }

  it.each([
    ['signed with another bot\'s token', { token: '42:another-bot' }, /not signed by Telegram for this bot/],
    ['signed two hours ago', { ageS: 7200 }, /expired/],
  ])('given initData %s, when the app opens, then it says why it is refused and shows no dialer', async (_what, opts, words) => {
    const page = await open(app.initDataFor({ id: 2001, first_name: 'Ann' }, opts));
    await page.getByRole('alert').filter({ hasText: words }).waitFor();
    expect(await page.locator('#dialer-view').isHidden()).toBe(true);
    expect(h.sim.invites()).toEqual([]);
  }, BROWSER_TEST_MS);

  it('given an agent and an admin, when the agent dials from the app, then the call connects and ends on the dialer, and the wallboard shows it live, then in today\'s figures', async () => {
    h.sim.setFarEnd((endpoint) => (endpoint.includes('+12025550123') ? { kind: 'answer', ringMs: 300, hangupAfterMs: 4000 } : undefined));
    // Ann's earlier call a minute ago (today, whatever the hour) and a callback she owes: the lists have something to show.
    const ann = (await h.stores.agents.byTelegramId('2001'))!;
    const minuteAgo = Date.now() - 60_000;
    await h.stores.calls.recordCallRequest({
      id: 'earlier-call', agentId: ann.id, targetInput: '+14155550199', target: '+14155550199', route: 'M', stage: 'ended', outcome: 'completed',
      requestedAt: new Date(minuteAgo), connectedAt: new Date(minuteAgo + 5000), endedAt: new Date(minuteAgo + 47_000), disposition: 'callback',
    });
    await h.stores.callbacks.add({ callId: 'earlier-call', agentId: ann.id, number: '+14155550199', route: 'M', dueAt: new Date(Date.now() + 3_600_000), createdAt: new Date() });
    const agent = await open(app.initDataFor({ id: 2001, first_name: 'Ann' }));
    const agentDark = await open(app.initDataFor({ id: 2001, first_name: 'Ann' }), 'dark');
    const admin = await open(app.initDataFor({ id: ADMIN_ID, first_name: 'Admin' }));
    const adminDark = await open(app.initDataFor({ id: ADMIN_ID, first_name: 'Admin' }), 'dark');
    for (const page of [agent, agentDark, admin, adminDark]) await page.waitForSelector('body[data-ready="yes"]');
    expect(await agent.locator('#route-line').innerText()).toBe('Route [M] · Caller ID +15551234567 [M]');
    expect(await admin.locator('#dialer-view').isHidden()).toBe(true);
    expect(await admin.locator('#agents').innerText()).toMatch(/Ann\s+Idle[\s\S]*Bob\s+Idle/);

    expect(await agent.getByRole('button', { name: 'Call again +1 415-555-0199' }).isVisible()).toBe(true);
    expect(await agent.getByRole('button', { name: 'Call back +1 415-555-0199' }).isVisible()).toBe(true);

    // The keyboard alone: Tab reaches the number first; typed key by key, it is formatted as typed; Enter places the call.
    await agent.keyboard.press('Tab');
    expect(await agent.evaluate('document.activeElement && document.activeElement.id')).toBe('number');
    await agent.keyboard.type('2025550123');
    expect(await agent.locator('#number').inputValue()).toBe('(202) 555-0123');
    await agent.keyboard.press('Enter');

    await agent.locator('#call-status', { hasText: 'Connected' }).waitFor({ timeout: 10000 });
    expect(await agent.locator('#hangup').isVisible()).toBe(true);
    await admin.locator('#live-calls li', { hasText: 'Ann → +1 202-555-0123 [M]' }).filter({ hasText: 'Connected' }).waitFor();
    await admin.locator('#agents li', { hasText: 'Ann' }).filter({ hasText: 'In a call' }).waitFor();
    await agentDark.locator('#call-status', { hasText: 'Connected' }).waitFor();
    await adminDark.locator('#live-calls li', { hasText: 'Connected' }).waitFor();
    await screenshot(agent, 'dialer-light');
    await screenshot(agentDark, 'dialer-dark');
    await screenshot(admin, 'wallboard-light');
    await screenshot(adminDark, 'wallboard-dark');

    // The customer hangs up: the dialer says how it ended and lists it with redial; the wallboard counts it.
    await agent.locator('#call-status', { hasText: /Call ended/ }).waitFor({ timeout: 10000 });
    await agent.getByRole('button', { name: 'Call again +1 202-555-0123' }).waitFor();
    await admin.locator('#today-calls', { hasText: '2' }).waitFor();
    expect(await admin.locator('#today-rate').innerText()).toBe('100%');
    await admin.getByText('No live calls.').waitFor();
    // Her answered call has no disposition yet: she is in after-call work.
    await admin.locator('#agents li', { hasText: 'Ann' }).filter({ hasText: 'After-call work' }).waitFor();
    expect(h.sim.invites().map((i) => i.endpoint)).toEqual(['PJSIP/+15551230001@trunk-main', 'PJSIP/+12025550123@trunk-main']);
    expect(pageErrors).toEqual([]);
  }, BROWSER_TEST_MS);

  it('given an agent on a connected call, when she talks to a colleague first from the card and completes the transfer with the keyboard, then the card showed the consultation\'s buttons, the customer is with the colleague and the card says so', async () => {
    await h.stores.agents.setRoute('2002', 'M');
    const agent = await open(app.initDataFor({ id: 2001, first_name: 'Ann' }));
    await agent.waitForSelector('body[data-ready="yes"]');
    await agent.locator('#number').fill('2025550123');
    await agent.locator('#number').press('Enter');
    await agent.locator('#call-status', { hasText: 'Connected' }).waitFor({ timeout: 10000 });
    const callId = h.engine.liveCalls()[0]!.context.callId;

    await agent.locator('#transfer').click();
    await agent.getByRole('button', { name: 'Talk to them first: Bob' }).click();
    await agent.locator('#consult-status', { hasText: 'Consulting Bob' }).waitFor({ timeout: 10000 });
    expect(await agent.locator('#transfer').count()).toBe(0);
    const consultation = agent.getByRole('group', { name: 'Consulting Bob' });
    expect(await consultation.getByRole('button').evaluateAll((buttons) => buttons.map((b) => b.getAttribute('aria-label')))).toEqual([
      'Complete the transfer: the customer goes to Bob', 'Back to the customer; hang up on Bob', 'Conference: the customer, you and Bob',
    ]);
    await screenshot(agent, 'dialer-consulting-light');

    await agent.getByRole('button', { name: 'Complete the transfer: the customer goes to Bob' }).focus();
    await agent.keyboard.press('Enter');
    await agent.locator('#call-status', { hasText: 'Transferred to Bob' }).waitFor({ timeout: 10000 });
    await waitFor(() => h.sim.bridges().find((b) => b.id === `${callId}-bridge`)?.channels.slice().sort().join() === `${callId}-p3,${callId}-target`
      && !h.sim.channels().some((c) => c.id === `${callId}-agent`), { what: 'the customer and Bob bridged, Ann gone' });
    expect(await agent.locator('#hangup').count()).toBe(0);
    expect(pageErrors).toEqual([]);
    h.sim.farEndHangup(`${callId}-target`);
  }, BROWSER_TEST_MS);
});
