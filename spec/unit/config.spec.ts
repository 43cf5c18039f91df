import { ConfigError, loadConfig } from '../../config/config';

const minimal = {
  TELEGRAM_BOT_TOKEN: '123456:ABC-def_ghi',
  SUPER_ADMIN_IDS: '1001, 1002',
  ARI_USERNAME: 'callbot',
  ARI_PASSWORD: 's3cret-pass',
};

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

describe('configuration', () => {
  it('given only the required variables, then every default of the documented table applies', () => {
    const config = loadConfig(minimal);
    expect(config).toMatchObject({
      telegram: { apiRoot: 'https://api.telegram.org', superAdminIds: ['1001', '1002'], webhook: undefined },
      databaseUrl: 'sqlite:data/callbot.sqlite',
      ari: { url: 'http://127.0.0.1:8088', app: 'callbot' },
      routes: { M: { endpointTemplate: 'PJSIP/{number}@trunk-main' }, D: { endpointTemplate: 'PJSIP/{number}@trunk-dev' } },
      defaultRegion: 'US',
      allowedCountries: ['US', 'CA'],
      agentRingTimeoutS: 30,
      targetRingTimeoutS: 45,
      maxConcurrentCalls: 50,
      holdMusicClass: 'default',
      holdSound: 'moh',
      log: { level: 'info', format: 'json' },
    });
    expect(config.defaultCallerId).toBeUndefined();
    expect(config.agentConfirmDigit).toBeUndefined();
  });

  it('given nothing at all, then every required variable is named and no value is echoed', () => {
    const problems = problemsOf({});
    for (const name of ['TELEGRAM_BOT_TOKEN', 'SUPER_ADMIN_IDS', 'ARI_USERNAME', 'ARI_PASSWORD']) {
      expect(problems.some((p) => p.startsWith(`${name}:`))).toBe(true);
    }
  });

  it('given blank values as a .env file writes them, then they count as missing', () => {
    expect(problemsOf({ ...minimal, ARI_PASSWORD: '   ' })).toEqual(['ARI_PASSWORD: required: the ARI password from ari.conf']);
  });

  it.each([
    ['TELEGRAM_BOT_TOKEN', 'not a token'],
    ['SUPER_ADMIN_IDS', 'alice,bob'],
    ['DATABASE_URL', 'data/callbot.sqlite'],
    ['ARI_URL', 'localhost:8088'],
    ['ROUTE_MAIN_ENDPOINT', 'PJSIP/trunk-main'],
    ['DEFAULT_CALLER_ID', '99-99'],
    ['DEFAULT_REGION', 'XX'],
    ['ALLOWED_COUNTRIES', 'US,ZZ'],
    ['AGENT_RING_TIMEOUT_S', 'soon'],
    ['TARGET_RING_TIMEOUT_S', '-7'],
    ['MAX_CONCURRENT_CALLS', '-1'],
    ['LOG_LEVEL', 'loud'],
    ['LOG_FORMAT', 'xml'],
    ['AGENT_CONFIRM_DIGIT', '12'],
    ['METRICS_PORT', '70000'],
    ['METRICS_HOST', 'two words'],
    ['HOLD_MUSIC_CLASS', 'jazz;rm'],
    ['HOLD_SOUND', 'silence'],
  ])('given %s=%p, then the problem names that variable', (name, value) => {
    const problems = problemsOf({ ...minimal, [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${name}: expects`));
    expect(problems[0]).not.toContain(value);
  });

  it.each([
    'postgres://u:secret-pw@127.0.0.1:notaport/db',
    'postgres://u:secret-pw@127.0.0.1:70000/db',
    'postgresql://u:se#cret-pw@db.example/callbot',
  ])('given the malformed postgres URL %p, then DATABASE_URL is named as invalid and the password is not shown', (url) => {
    const problems = problemsOf({ ...minimal, DATABASE_URL: url });
    expect(problems).toEqual([expect.stringMatching(/^DATABASE_URL: is not a valid postgres:\/\/ URL /)]);
    expect(problems.join('\n')).not.toMatch(/secret|cret-pw/);
  });

  it('given a well-formed postgres URL with a percent-encoded password, then it is accepted', () => {
    expect(loadConfig({ ...minimal, DATABASE_URL: 'postgres://callbot:p%40ss%23word@db.example:5433/callbot' }).databaseUrl)
      .toBe('postgres://callbot:p%40ss%23word@db.example:5433/callbot');
  });

  it.each(['mysql://callbot:pw@127.0.0.1/callbot', 'mongodb+srv://db.example.com/callbot', 'MariaDB://x'])(
    'given DATABASE_URL=%p, then its scheme is refused by name (and nothing else of the URL is shown)', (url) => {
      const problems = problemsOf({ ...minimal, DATABASE_URL: url });
      const scheme = url.split(':')[0]!.toLowerCase();
      expect(problems).toEqual([`DATABASE_URL: ${scheme} is not supported; expects sqlite:<path> or postgres://user:pass@host:port/db`]);
      expect(problems[0]).not.toContain('pw');
    });

  it('given several bad variables, then all of them are reported at once', () => {
    const problems = problemsOf({ ...minimal, LOG_FORMAT: 'xml', ARI_URL: 'nope', MAX_CONCURRENT_CALLS: 'many' });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['ARI_URL', 'LOG_FORMAT', 'MAX_CONCURRENT_CALLS']);
  });

  it('given a webhook URL without a secret, then the secret is required', () => {
    expect(problemsOf({ ...minimal, TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/hook' }))
      .toEqual(['TELEGRAM_WEBHOOK_SECRET: required when TELEGRAM_WEBHOOK_URL is set']);
    const config = loadConfig({ ...minimal, TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/hook', TELEGRAM_WEBHOOK_SECRET: 'a'.repeat(24) });
    expect(config.telegram.webhook).toEqual({ url: 'https://bot.example.com/hook', secret: 'a'.repeat(24), host: '127.0.0.1', port: 8443 });
  });

  it('given WEBHOOK_HOST, then the webhook listens there; given a malformed one, then it is refused', () => {
    const env = { ...minimal, TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/hook', TELEGRAM_WEBHOOK_SECRET: 'a'.repeat(24) };
    expect(loadConfig({ ...env, WEBHOOK_HOST: '0.0.0.0' }).telegram.webhook?.host).toBe('0.0.0.0');
    expect(problemsOf({ ...env, WEBHOOK_HOST: 'two words' })).toEqual([expect.stringMatching(/^WEBHOOK_HOST: expects/)]);
  });

  it('given no METRICS_PORT, then the operators\' endpoint is off; given one, then it listens on loopback unless METRICS_HOST says otherwise', () => {
    expect(loadConfig(minimal).metrics).toBeUndefined();
    expect(loadConfig({ ...minimal, METRICS_PORT: '', METRICS_HOST: '0.0.0.0' }).metrics).toBeUndefined();
    expect(loadConfig({ ...minimal, METRICS_PORT: '9464' }).metrics).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(loadConfig({ ...minimal, METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0' }).metrics).toEqual({ host: '0.0.0.0', port: 9464 });
  });

  it('given webhook mode, then the operators\' endpoint may not take the webhook\'s port', () => {
    const env = { ...minimal, TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/hook', TELEGRAM_WEBHOOK_SECRET: 'a'.repeat(24) };
    expect(problemsOf({ ...env, METRICS_PORT: '8443' })).toEqual(['METRICS_PORT: must differ from WEBHOOK_PORT']);
    expect(problemsOf({ ...env, METRICS_PORT: '9464' })).toEqual([]);
  });

  it('given a webhook secret but long polling, then the secret is still among the secrets to scrub', () => {
    const config = loadConfig({ ...minimal, TELEGRAM_WEBHOOK_SECRET: 'b'.repeat(24) });
    expect(config.telegram.webhook).toBeUndefined();
    expect(config.secrets).toContain('b'.repeat(24));
  });

  it('given answer confirmation and custom routes, then they are typed values', () => {
    const config = loadConfig({ ...minimal, AGENT_CONFIRM_DIGIT: '1', ROUTE_DEV_ENDPOINT: 'PJSIP/{number}@other', ALLOWED_COUNTRIES: 'us' });
    expect(config.agentConfirmDigit).toBe('1');
    expect(config.routes.D.endpointTemplate).toBe('PJSIP/{number}@other');
    expect(config.allowedCountries).toEqual(['US']);
  });

  it('given RETURN_CALL_ANNOUNCE, then the agent\'s announcement is off by default, tone or digits when set, and anything else is refused', () => {
    expect(loadConfig(minimal).returnCalls.agentAnnouncement).toBe('off');
    expect(loadConfig({ ...minimal, RETURN_CALL_ANNOUNCE: 'Digits' }).returnCalls.agentAnnouncement).toBe('digits');
    expect(loadConfig({ ...minimal, RETURN_CALL_ANNOUNCE: 'tone' }).returnCalls.agentAnnouncement).toBe('tone');
    expect(problemsOf({ ...minimal, RETURN_CALL_ANNOUNCE: 'loud' })).toEqual([expect.stringMatching(/^RETURN_CALL_ANNOUNCE: expects off, tone or digits/)]);
  });
});

describe('configuration for several instances', () => {
  const servers = JSON.stringify([
    { id: 'a1', url: 'http://10.0.0.5:8088/', username: 'callbot', password: 'pw-one-secret', routes: ['M'] },
    { id: 'a2', url: 'http://10.0.0.6:8088', username: 'callbot', password: 'pw-two-secret', weight: 2 },
  ]);
  const pg = 'postgres://callbot:db-secret@127.0.0.1:5432/callbot';
  const clusterEnv = { ...minimal, ARI_USERNAME: '', ARI_PASSWORD: '', CLUSTER: 'on', DATABASE_URL: pg, ASTERISK_SERVERS: servers, INSTANCE_ID: 'node-1' };

  it('given CLUSTER=on with PostgreSQL and ASTERISK_SERVERS, then every server is typed, with routes and weight defaulted, and the ARI_* credentials are not needed', () => {
    const config = loadConfig(clusterEnv);
    expect(config.asteriskServers).toEqual([
      { id: 'a1', url: 'http://10.0.0.5:8088', username: 'callbot', password: 'pw-one-secret', routes: ['M'], weight: 1 },
      { id: 'a2', url: 'http://10.0.0.6:8088', username: 'callbot', password: 'pw-two-secret', routes: ['M', 'D'], weight: 2 },
    ]);
    expect(config.cluster).toEqual({ instanceId: 'node-1', leaseTtlMs: 6000, serverDownAfterS: 10, handBackAfterS: 3, stayAwayS: 30 });
    expect(config.secrets).toEqual(expect.arrayContaining(['pw-one-secret', 'pw-two-secret', 'db-secret']));
  });

  it('given no CLUSTER, then there is one server made of the ARI_* variables, and no cluster settings', () => {
    const config = loadConfig(minimal);
    expect(config.asteriskServers).toEqual([{ id: 'default', url: config.ari.url, username: 'callbot', password: 's3cret-pass', routes: ['M', 'D'], weight: 1 }]);
    expect(config.cluster).toBeUndefined();
  });

  it('given CLUSTER=on on SQLite, then it is refused: instances coordinate through PostgreSQL', () => {
    expect(problemsOf({ ...clusterEnv, DATABASE_URL: 'sqlite:data/x.sqlite' })).toEqual([
      'CLUSTER: CLUSTER=on needs a postgres:// DATABASE_URL: instances coordinate through PostgreSQL',
    ]);
  });

  it('given ASTERISK_SERVERS without CLUSTER=on, then it is refused', () => {
    expect(problemsOf({ ...clusterEnv, CLUSTER: 'off' })).toEqual(['ASTERISK_SERVERS: needs CLUSTER=on (several servers are coordinated through PostgreSQL)']);
  });

  it.each([
    ['not JSON', 'a1=http://x', 'expects a JSON array'],
    ['a server without a password', JSON.stringify([{ id: 'a1', url: 'http://10.0.0.5:8088', username: 'u' }]), 'each server needs the "password" of its ari.conf user'],
    ['two servers with one id', JSON.stringify([{ id: 'a1', url: 'http://x:1', username: 'u', password: 'p' }, { id: 'a1', url: 'http://y:1', username: 'u', password: 'p' }]), 'each server needs an id of its own'],
    ['an unknown route', JSON.stringify([{ id: 'a1', url: 'http://x:1', username: 'u', password: 'p', routes: ['X'] }]), '"routes" lists M and/or D'],
  ])('given ASTERISK_SERVERS with %s, then the problem is named and no value is echoed', (_what, value, message) => {
    const problems = problemsOf({ ...clusterEnv, ASTERISK_SERVERS: value });
    expect(problems.some((p) => p.startsWith('ASTERISK_SERVERS: ') && p.includes(message))).toBe(true);
    expect(problems.join('\n')).not.toMatch(/pw-|http:\/\/x|http:\/\/y/);
  });
});
