import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { alertEnv } from '../../config/alert-settings';
import { ConfigError, loadConfig } from '../../config/config';

const MIN = 60_000;

describe('alert settings', () => {
  const base = { TELEGRAM_BOT_TOKEN: '1:x', SUPER_ADMIN_IDS: '1', ARI_USERNAME: 'u', ARI_PASSWORD: 'p' };

  it('given nothing set, then the issue\'s thresholds apply', () => {
    expect(loadConfig(base).alerts).toEqual({
      rate: { calls: 20, windowMs: 10 * MIN }, shortCalls: { inARow: 10, underS: 10 }, refusals: { count: 5, windowMs: 60 * MIN }, repeatWindowMs: 30 * MIN,
    });
  });

  it.each([
    { env: { ALERT_RATE_CALLS: 'off' }, expected: { rate: null } },
    { env: { ALERT_SHORT_CALLS_IN_A_ROW: 'OFF' }, expected: { shortCalls: null } },
    { env: { ALERT_SHORT_CALL_S: 'off' }, expected: { shortCalls: null } },
    { env: { ALERT_REFUSALS: 'off' }, expected: { refusals: null } },
    { env: { ALERT_RATE_CALLS: '3', ALERT_RATE_WINDOW_MIN: '2' }, expected: { rate: { calls: 3, windowMs: 2 * MIN } } },
    { env: { ALERT_REPEAT_WINDOW_MIN: '1' }, expected: { repeatWindowMs: MIN } },
  ])('given $env, then $expected', ({ env, expected }) => {
    expect(loadConfig({ ...base, ...env }).alerts).toMatchObject(expected);
  });

  it.each([
    ['ALERT_RATE_CALLS', '0'], ['ALERT_RATE_CALLS', 'many'], ['ALERT_SHORT_CALL_S', '3601'], ['ALERT_REFUSALS', '-1'],
    ['ALERT_RATE_WINDOW_MIN', 'off'], ['ALERT_REFUSALS_WINDOW_MIN', '0'], ['ALERT_REPEAT_WINDOW_MIN', '1.5'],
  ])('given %s=%s, then the configuration names it', (name, value) => {
    expect(() => loadConfig({ ...base, [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, [name]: value })).toThrow(new RegExp(`${name}: expects`));
  });

  it('documents every variable in .env.example and the configuration reference', () => {
    const docs = ['.env.example', 'docs/configuration.md'].map((file) => readFileSync(join(__dirname, '../..', file), 'utf8'));
    for (const name of Object.keys(alertEnv)) for (const doc of docs) expect(doc).toContain(name);
  });
});
