import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { renderAsteriskConfig, TEMPLATE_FILES, type Env } from '../../asterisk/asterisk-config';

const PASSWORD = 'Xq7-unmistakable-ari-secret';

const valid: Env = {
  ARI_USERNAME: 'callbot',
  ARI_PASSWORD: PASSWORD,
  SIP_BIND: '127.0.0.1',
  SIP_PORT: '5060',
  PROVIDER_MAIN_HOST: '127.0.0.1',
  PROVIDER_MAIN_PORT: '5070',
  PROVIDER_DEV_HOST: '127.0.0.2',
  PROVIDER_DEV_PORT: '5080',
  PROVIDER_DEV_MATCH: '127.0.0.2, 127.0.1.0/24',
};

interface Section {
  name: string;
  options: Record<string, string[]>;
}

/** Just enough of Asterisk's config syntax for these files: [name], key = value, ; comments. */
function sections(conf: string): Section[] {
  const result: Section[] = [];
  for (const raw of conf.split('\n')) {
    const line = raw.replace(/;.*$/, '').trim();
    const header = /^\[([^\]]+)\]/.exec(line);
    if (header) result.push({ name: header[1] ?? '', options: {} });
    else if (line.includes('=') && result.length > 0) {
      const [key, ...value] = line.split('=');
      const options = result[result.length - 1]!.options;
      (options[key!.trim()] ??= []).push(value.join('=').replace(/^>/, '').trim());
    }
  }
  return result;
}

function rendered(env: Env): Record<string, string> {
  const result = renderAsteriskConfig(env);
  if ('errors' in result) throw new Error(`unexpected errors: ${result.errors.join('; ')}`);
  return result.files;
}

function errorsOf(env: Env): string[] {
  const result = renderAsteriskConfig(env);
  return 'errors' in result ? result.errors : [];
}

const ofType = (all: Section[], type: string) => all.filter((s) => s.options.type?.[0] === type);

describe('bundled Asterisk configuration', () => {
  describe('given valid variables', () => {
    const files = rendered(valid);
    const pjsip = sections(files['pjsip.conf']!);

    it('when rendered, then every bundled file is written with no placeholder left', () => {
      expect(Object.keys(files).sort()).toEqual([...TEMPLATE_FILES].sort());
      for (const content of Object.values(files)) expect(content).not.toContain('{{');
      const ari = sections(files['ari.conf']!);
      expect(ari.find((s) => s.name === 'callbot')?.options).toMatchObject({
        type: ['user'], password: [PASSWORD], password_format: ['plain'], read_only: ['no'],
      });
      expect(ari.find((s) => s.name === 'general')?.options.allowed_origins).toEqual(['']);
    });

    it('when rendered without HTTP settings, then ARI listens on 127.0.0.1:8088 only', () => {
      expect(sections(files['http.conf']!).find((s) => s.name === 'general')?.options).toMatchObject({
        enabled: ['yes'], bindaddr: ['127.0.0.1'], bindport: ['8088'],
        // Above the app's 10 s idle close (ari/ari-rest.ts), so Asterisk never closes first.
        session_keep_alive: ['15000'],
      });
    });

    it('when rendered, then each trunk is an endpoint identified only by its own provider IPs', () => {
      expect(ofType(pjsip, 'endpoint').map((s) => s.name)).toEqual(['trunk-main', 'trunk-dev']);
      expect(ofType(pjsip, 'identify').map((s) => [s.options.endpoint?.[0], s.options.match])).toEqual([
        ['trunk-main', ['127.0.0.1']],
        ['trunk-dev', ['127.0.0.2,127.0.1.0/24']],
      ]);
      expect(ofType(pjsip, 'aor').map((s) => [s.name, s.options.contact])).toEqual([
        ['trunk-main', ['sip:127.0.0.1:5070']],
        ['trunk-dev', ['sip:127.0.0.2:5080']],
      ]);
      expect(ofType(pjsip, 'transport')[0]?.options.bind).toEqual(['127.0.0.1:5060']);
    });

    it('when rendered, then there is no credential, registration or anonymous endpoint, and media stays in Asterisk', () => {
      expect(ofType(pjsip, 'auth')).toEqual([]);
      expect(ofType(pjsip, 'registration')).toEqual([]);
      expect(pjsip.map((s) => s.name)).not.toContain('anonymous');
      expect(ofType(pjsip, 'global')[0]?.options.endpoint_identifier_order).toEqual(['ip']);
      for (const endpoint of ofType(pjsip, 'endpoint')) {
        expect(endpoint.options.outbound_auth).toBeUndefined();
        expect(endpoint.options.auth).toBeUndefined();
        expect(endpoint.options.from_user).toBeUndefined();
        expect(endpoint.options).toMatchObject({
          identify_by: ['ip'], context: ['from-provider'], direct_media: ['no'], dtmf_mode: ['rfc4733'],
          disallow: ['all'], allow: ['ulaw,alaw'], rtp_symmetric: ['yes'], send_pai: ['yes'],
        });
      }
    });

    it('when rendered, then calls from a provider to a number go, unanswered, into the app with the number (refused when it is not there), others are refused, and nothing dials out', () => {
      const dialplan = files['extensions.conf']!;
      const fromProvider = sections(dialplan).find((s) => s.name === 'from-provider');
      expect(fromProvider?.options.exten).toEqual([
        '_X.,1,Stasis(callbot,inbound,${EXTEN})', '_+X.,1,Stasis(callbot,inbound,${EXTEN})', 's,1,Hangup(21)', 'i,1,Hangup(21)',
      ]);
      expect(fromProvider?.options.same).toEqual(['n,Hangup(21)', 'n,Hangup(21)']);
      expect(dialplan).not.toMatch(/\bAnswer\(/);
      expect(dialplan).not.toMatch(/\bDial\(/);
    });

    it('when an IPv6 transport and provider are given, then addresses are bracketed where SIP needs it', () => {
      const v6 = rendered({
        ...valid, SIP_BIND: '::', PROVIDER_MAIN_HOST: '2001:db8::10', PROVIDER_DEV_HOST: '2001:db8:1::10',
        PROVIDER_DEV_MATCH: '2001:db8:1::/48',
      });
      expect(v6['pjsip.conf']).toContain('bind = [::]:5060');
      expect(v6['pjsip.conf']).toContain('contact = sip:[2001:db8::10]:5070');
      expect(v6['pjsip.conf']).toContain('match = 2001:db8:1::/48');
    });
  });

  describe('given risky but valid variables', () => {
    it('when ARI is bound beyond loopback or a provider host is outside its match, then it renders and warns', () => {
      const result = renderAsteriskConfig({ ...valid, ASTERISK_HTTP_BIND: '0.0.0.0', PROVIDER_MAIN_MATCH: '127.0.2.0/24' });
      expect('files' in result && result.warnings).toEqual([
        expect.stringMatching(/^PROVIDER_MAIN_MATCH does not include PROVIDER_MAIN_HOST/),
        expect.stringMatching(/^ASTERISK_HTTP_BIND is not a loopback address: ARI listens on every interface/),
      ]);
    });
  });

  describe('given bad variables', () => {
    it.each<[string, Env, string, RegExp]>([
      ['no password', { ARI_PASSWORD: undefined }, 'ARI_PASSWORD', /required/],
      ['a password with ";"', { ARI_PASSWORD: 'abc;def' }, 'ARI_PASSWORD', /comment/],
      ['a password with a line break', { ARI_PASSWORD: 'abc\ndef' }, 'ARI_PASSWORD', /single line/],
      ['a prefix longer than 32 bits', { PROVIDER_DEV_MATCH: '10.0.0.0/33' }, 'PROVIDER_DEV_MATCH', /prefix length from 1 to 32/],
      ['an impossible IPv4 address', { PROVIDER_MAIN_HOST: '300.1.1.1' }, 'PROVIDER_MAIN_HOST', /IPv4 or IPv6 address/],
      ['a host name', { PROVIDER_MAIN_HOST: 'sip.provider.example' }, 'PROVIDER_MAIN_HOST', /not a host name.*DNS/],
      ['a host name in a match list', { PROVIDER_MAIN_MATCH: '127.0.0.1,gw.provider.example' }, 'PROVIDER_MAIN_MATCH', /not a host name/],
      ['a match of every address', { PROVIDER_MAIN_MATCH: '0.0.0.0/0' }, 'PROVIDER_MAIN_MATCH', /no IP authentication/],
      ['port 0', { SIP_PORT: '0' }, 'SIP_PORT', /1 to 65535/],
      ['port 65536', { ASTERISK_HTTP_PORT: '65536' }, 'ASTERISK_HTTP_PORT', /1 to 65535/],
      ['a port that is not a number', { PROVIDER_DEV_PORT: '50a' }, 'PROVIDER_DEV_PORT', /1 to 65535/],
      ['"general" as the ARI user', { ARI_USERNAME: 'General' }, 'ARI_USERNAME', /\[general\]/],
      ['an IPv6 provider on an IPv4 transport', { PROVIDER_DEV_HOST: '2001:db8::1', PROVIDER_DEV_MATCH: undefined }, 'PROVIDER_DEV_HOST', /IPv4/],
    ])('when given %s, then it is refused naming the variable', (_, change, variable, expectation) => {
      const errors = errorsOf({ ...valid, ...change });
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(new RegExp(`^${variable}: `));
      expect(errors[0]).toMatch(expectation);
    });

    it('when both providers match overlapping addresses, then both variables are named', () => {
      const errors = errorsOf({ ...valid, PROVIDER_MAIN_MATCH: '127.0.0.0/16' });
      expect(errors).toEqual([
        expect.stringMatching(/^PROVIDER_MAIN_MATCH and PROVIDER_DEV_MATCH overlap \(127\.0\.0\.0\/16 and 127\.0\.0\.2\)/),
        expect.stringMatching(/^PROVIDER_MAIN_MATCH and PROVIDER_DEV_MATCH overlap \(127\.0\.0\.0\/16 and 127\.0\.1\.0\/24\)/),
      ]);
      expect(errorsOf({ ...valid, PROVIDER_MAIN_MATCH: '127.0.2.0/24' })).toEqual([]);
    });

    it('when a provider is this server\'s own SIP transport, then the loop is refused', () => {
      expect(errorsOf({ ...valid, PROVIDER_MAIN_PORT: '5060' })).toEqual([
        expect.stringMatching(/^PROVIDER_MAIN_HOST and PROVIDER_MAIN_PORT: point at this server's own SIP transport/),
      ]);
    });

    it('when several variables are bad at once, then every one is named and the password never appears', () => {
      const secret = 'leak;me-if-you-can';
      const errors = errorsOf({ ARI_PASSWORD: secret, SIP_PORT: 'x', PROVIDER_DEV_HOST: 'dev.example' });
      const named = errors.map((e) => e.split(':')[0]);
      expect(named).toEqual(['ARI_USERNAME', 'ARI_PASSWORD', 'SIP_PORT', 'PROVIDER_MAIN_HOST', 'PROVIDER_DEV_HOST']);
      expect(errors.join('\n')).not.toContain(secret);
    });
  });

  describe('given the CLI', () => {
    const cli = resolve(__dirname, '../../asterisk/render-config.ts');
    const tsNode = require.resolve('ts-node/register/transpile-only');
    const tsconfig = resolve(__dirname, '../../tsconfig.json');
    let work: string;

    beforeEach(() => { work = mkdtempSync(join(tmpdir(), 'asterisk-config-')); });
    afterEach(() => rmSync(work, { recursive: true, force: true }));

    // A clean environment and a scratch cwd: neither the developer's shell nor a .env leaks in.
    const run = (env: Env, args = ['--out', join(work, 'out')]) => spawnSync(
      process.execPath, ['-r', tsNode, cli, ...args],
      { cwd: work, env: { PATH: process.env.PATH, TS_NODE_PROJECT: tsconfig, ...env }, encoding: 'utf8', timeout: 20000 },
    );

    it('when run with valid variables and a .env, then it writes every file, lists them, exits 0 and never prints the password', () => {
      writeFileSync(join(work, '.env'), `PROVIDER_DEV_HOST=127.0.0.2\nARI_PASSWORD=from-dotenv\n`);
      const { PROVIDER_DEV_HOST: _, ...withoutDevHost } = valid;
      const result = run(withoutDevHost);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      const out = join(work, 'out');
      expect(readdirSync(out).sort()).toEqual([...TEMPLATE_FILES].sort());
      for (const name of TEMPLATE_FILES) expect(result.stdout).toContain(name);
      expect(result.stdout).not.toContain(PASSWORD);
      const ari = readFileSync(join(out, 'ari.conf'), 'utf8');
      expect(ari).toContain(`password = ${PASSWORD}`); // the real environment wins over .env
      expect(statSync(join(out, 'ari.conf')).mode & 0o077).toBe(0);
      expect(readFileSync(join(out, 'pjsip.conf'), 'utf8')).toContain('contact = sip:127.0.0.2:5080');
    });

    it('when run with bad variables, then it exits 2, names each one, writes nothing and never prints the password', () => {
      const result = run({ ...valid, ARI_PASSWORD: `${PASSWORD};`, PROVIDER_MAIN_MATCH: '10.0.0.0/33' });
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/ARI_PASSWORD: /);
      expect(result.stderr).toMatch(/PROVIDER_MAIN_MATCH: /);
      expect(`${result.stdout}${result.stderr}`).not.toContain(PASSWORD);
      expect(readdirSync(work)).toEqual([]);
    });

    it('when run without --out, then it prints the usage and exits 2', () => {
      const result = run(valid, []);
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/--out DIR/);
    });
  });
});
