import { checkInitData, initDataHash, signInitData } from '../../miniapp/init-data';
import { issueSessionToken, readSessionToken } from '../../miniapp/session-token';

const TOKEN = '123456789:AAtest-token_for_the_mini_app';
const NOW = Date.UTC(2026, 0, 10, 12, 0, 0);
const nowS = NOW / 1000;
const user = JSON.stringify({ id: 2001, first_name: 'Ann', username: 'ann' });

describe('miniapp: initData', () => {
  it('given Telegram\'s documented example fields, when hashed, then each field but hash is a sorted name=value line under the WebAppData key', () => {
    const fields = new Map([['user', user], ['auth_date', '1'], ['query_id', 'q'], ['hash', 'ignored']]);
    const { createHmac } = jest.requireActual<typeof import('node:crypto')>('node:crypto');
    const key = createHmac('sha256', 'WebAppData').update(TOKEN).digest();
    expect(initDataHash(fields, TOKEN)).toBe(createHmac('sha256', key).update(`auth_date=1\nquery_id=q\nuser=${user}`).digest('hex'));
  });

  it('given an initData signed with the bot token, when checked within its age, then the user is known', () => {
    const raw = signInitData({ query_id: 'AAH', user, auth_date: String(nowS - 30), signature: 'sig' }, TOKEN);
    expect(checkInitData(raw, TOKEN, NOW, 3600)).toEqual({ ok: true, user: { id: 2001, first_name: 'Ann', username: 'ann' }, authDate: nowS - 30 });
  });

  it.each([
    ['signed with another bot\'s token', () => signInitData({ user, auth_date: String(nowS) }, '999:other'), 'bad_hash'],
    ['with its user changed after signing', () => signInitData({ user, auth_date: String(nowS) }, TOKEN).replace('2001', '1000'), 'bad_hash'],
    ['signed longer ago than the age allowed', () => signInitData({ user, auth_date: String(nowS - 3601) }, TOKEN), 'stale'],
    ['dated far ahead of the server\'s clock', () => signInitData({ user, auth_date: String(nowS + 3600) }, TOKEN), 'from_the_future'],
    ['without a hash', () => `user=${encodeURIComponent(user)}&auth_date=${nowS}`, 'malformed'],
    ['with a field given twice', () => `${signInitData({ user, auth_date: String(nowS) }, TOKEN)}&user=x`, 'malformed'],
    ['without a user', () => signInitData({ auth_date: String(nowS) }, TOKEN), 'no_user'],
    ['empty', () => '', 'missing'],
  ])('given an initData %s, when checked, then it is refused with its reason', (_what, make, reason) => {
    expect(checkInitData(make(), TOKEN, NOW, 3600)).toEqual({ ok: false, reason });
  });

  it('given something that is not a string, when checked, then it is refused as missing, without a throw', () => {
    expect(checkInitData({ hash: 'x' }, TOKEN, NOW, 3600)).toEqual({ ok: false, reason: 'missing' });
  });
});

describe('miniapp: session token', () => {
  it('given a token issued here, when read before it expires, then it names the user; after, or altered, or under another token, then nothing', () => {
    const token = issueSessionToken({ telegramId: '2001', expiresAtMs: NOW + 1000 }, TOKEN);
    expect(readSessionToken(token, TOKEN, NOW)).toEqual({ telegramId: '2001', expiresAtMs: NOW + 1000 });
    expect(readSessionToken(token, TOKEN, NOW + 1000)).toBeUndefined();
    expect(readSessionToken(token.replace('2001', '1000'), TOKEN, NOW)).toBeUndefined();
    expect(readSessionToken(token, '999:other', NOW)).toBeUndefined();
    expect(readSessionToken(42, TOKEN, NOW)).toBeUndefined();
  });
});
