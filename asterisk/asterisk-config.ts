import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  formatNetwork, hostPort, isLoopback, isUnspecified, networkContains, networksOverlap,
  parseIpAddress, parseIpNetwork,
  type Family, type IpAddress, type IpNetwork,
} from './ip-literals';

/**
 * The bundled Asterisk configuration: the .conf templates beside this file, validated and filled
 * from the environment. Values go into Asterisk's own config syntax, where `;` starts a comment
 * and a line break ends a value, so anything that could change the meaning of a file is refused
 * rather than escaped.
 */
export const TEMPLATE_FILES = ['ari.conf', 'http.conf', 'pjsip.conf', 'extensions.conf', 'modules.conf', 'rtp.conf'] as const;
export type TemplateFile = (typeof TEMPLATE_FILES)[number];
export type Templates = Record<TemplateFile, string>;

export type Env = Record<string, string | undefined>;
export type RenderResult = { files: Record<string, string>; warnings: string[] } | { errors: string[] };

type Trunk = 'MAIN' | 'DEV';
const TRUNKS: readonly Trunk[] = ['MAIN', 'DEV'];

interface Provider {
  host: IpAddress;
  port: number;
  match: IpNetwork[];
}

/** Collects every problem instead of stopping at the first, so one run names them all. */
class Problems {
  readonly errors: string[] = [];
  readonly warnings: string[] = [];
  error(variable: string, message: string): undefined {
    this.errors.push(`${variable}: ${message}`);
    return undefined;
  }
}

/** Empty strings mean "not set", as they do in a .env file with `NAME=`. */
function setting(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function port(env: Env, name: string, fallback: number, problems: Problems): number | undefined {
  const text = setting(env, name);
  if (text === undefined) return fallback;
  const value = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(value >= 1 && value <= 65535)) return problems.error(name, `expects a port number from 1 to 65535; "${text}" is not one`);
  return value;
}

function address(env: Env, name: string, fallback: string | undefined, problems: Problems): IpAddress | undefined {
  const text = setting(env, name) ?? fallback;
  if (text === undefined) return problems.error(name, 'required: an IP address such as 203.0.113.10');
  const parsed = parseIpAddress(text);
  return parsed.ok ? parsed.value : problems.error(name, parsed.reason);
}

function ariUsername(env: Env, problems: Problems): string | undefined {
  const value = setting(env, 'ARI_USERNAME');
  if (value === undefined) return problems.error('ARI_USERNAME', 'required: the ARI user name the app logs in with');
  // It becomes a [section] name in ari.conf and the user of HTTP basic auth (no colon allowed there).
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(value)) {
    return problems.error('ARI_USERNAME', 'expects 1-64 characters of A-Z a-z 0-9 _ . - (it becomes a section name in ari.conf)');
  }
  if (value.toLowerCase() === 'general') return problems.error('ARI_USERNAME', 'must not be "general": ari.conf already has a [general] section');
  return value;
}

/** Never echoes the value: messages say what is wrong, not what was given. */
function ariPassword(env: Env, problems: Problems): string | undefined {
  const value = env.ARI_PASSWORD;
  const name = 'ARI_PASSWORD';
  if (value === undefined || value.trim() === '') return problems.error(name, 'required: the ARI password the app logs in with');
  if (/[\r\n]/.test(value)) return problems.error(name, 'must be a single line: a line break would end the value in ari.conf');
  if (value.includes(';')) return problems.error(name, 'must not contain ";": Asterisk reads the rest of the line as a comment');
  if (/[\x00-\x1f\x7f]/.test(value)) return problems.error(name, 'must not contain control characters');
  if (value !== value.trim()) return problems.error(name, 'must not start or end with spaces: Asterisk strips them from ari.conf values');
  return value;
}

function ariApp(env: Env, problems: Problems): string | undefined {
  const value = setting(env, 'ARI_APP') ?? 'callbot';
  return /^[A-Za-z0-9_-]{1,64}$/.test(value) ? value : problems.error('ARI_APP', 'expects a Stasis application name (A-Z a-z 0-9 _ -)');
}

function provider(env: Env, trunk: Trunk, family: Family | undefined, problems: Problems): Provider | undefined {
  const hostName = `PROVIDER_${trunk}_HOST`;
  const matchName = `PROVIDER_${trunk}_MATCH`;
  const host = address(env, hostName, undefined, problems);
  const portNumber = port(env, `PROVIDER_${trunk}_PORT`, 5060, problems);
  if (host && isUnspecified(host)) {
    problems.error(hostName, `expects the provider's own address; ${host.address} means "any address" and cannot be dialled`);
  } else if (host && family && host.family !== family) {
    problems.error(hostName, `expects an IPv${family} address: the SIP transport is bound to an IPv${family} address (SIP_BIND)`);
  }

  const matchText = setting(env, matchName);
  const entries = matchText === undefined
    ? (host ? [formatNetwork({ ...host, prefix: host.family === 4 ? 32 : 128 })] : [])
    : matchText.split(',').map((entry) => entry.trim()).filter(Boolean);
  if (matchText !== undefined && entries.length === 0) problems.error(matchName, 'expects comma-separated IP addresses or CIDR networks');
  const match: IpNetwork[] = [];
  for (const entry of entries) {
    const parsed = parseIpNetwork(entry);
    if (!parsed.ok) problems.error(matchName, parsed.reason);
    else if (family && parsed.value.family !== family && matchText !== undefined) {
      problems.error(matchName, `"${entry}" can never match: the SIP transport is bound to an IPv${family} address (SIP_BIND)`);
    } else match.push(parsed.value);
  }

  if (host && match.length > 0 && !match.some((network) => networkContains(network, host))) {
    problems.warnings.push(
      `${matchName} does not include ${hostName}: requests the provider sends from that address outside a call will be refused`,
    );
  }
  if (!host || portNumber === undefined || match.length !== entries.length) return undefined;
  return { host, port: portNumber, match };
}

/** An identify must be unambiguous: one source address, one trunk. */
function refuseOverlap(main: Provider, dev: Provider, problems: Problems): void {
  for (const a of main.match) {
    for (const b of dev.match) {
      if (networksOverlap(a, b)) {
        problems.errors.push(
          `PROVIDER_MAIN_MATCH and PROVIDER_DEV_MATCH overlap (${formatNetwork(a)} and ${formatNetwork(b)}): ` +
          'each source address must identify exactly one trunk',
        );
      }
    }
  }
}

/** A provider at this server's own transport would have Asterisk send every INVITE to itself. */
function refuseSelf(trunk: Trunk, target: Provider | undefined, bind: IpAddress, bindPort: number, problems: Problems): void {
  if (!target || target.port !== bindPort) return;
  const same = target.host.address === bind.address || (isUnspecified(bind) && isLoopback(target.host));
  if (same) {
    problems.errors.push(
      `PROVIDER_${trunk}_HOST and PROVIDER_${trunk}_PORT: point at this server's own SIP transport (SIP_BIND, SIP_PORT); ` +
      'calls would loop back into Asterisk',
    );
  }
}

function templateDir(): string {
  // ts-node runs this file from asterisk/; a compiled copy in dist/asterisk/ reads the sources.
  return existsSync(join(__dirname, 'pjsip.conf')) ? __dirname : resolve(__dirname, '..', '..', 'asterisk');
}

let bundled: Templates | undefined;

/** The committed templates, read once. */
export function bundledTemplates(): Templates {
  bundled ??= Object.fromEntries(
    TEMPLATE_FILES.map((name) => [name, readFileSync(join(templateDir(), name), 'utf8')]),
  ) as Templates;
  return bundled;
}

export const TEMPLATE_DIR = templateDir();

function fill(name: string, template: string, values: Record<string, string>): string {
  const header = `; Rendered by "npm run asterisk:config" from callbot's asterisk/${name}: edit the template, not this file.\n`;
  // One pass: a value that happens to contain braces is never read as a placeholder.
  return header + template.replace(/\{\{([A-Z0-9_]+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`asterisk/${name} uses an unknown placeholder ${key}`);
    return value;
  });
}

/**
 * Validates the environment and renders every bundled file, or names every bad variable and
 * what it expects. Pure apart from reading the committed templates (pass `templates` to avoid it).
 */
export function renderAsteriskConfig(env: Env, templates: Templates = bundledTemplates()): RenderResult {
  const problems = new Problems();
  const username = ariUsername(env, problems);
  const password = ariPassword(env, problems);
  const app = ariApp(env, problems);
  const httpBind = address(env, 'ASTERISK_HTTP_BIND', '127.0.0.1', problems);
  const httpPort = port(env, 'ASTERISK_HTTP_PORT', 8088, problems);
  const sipBind = address(env, 'SIP_BIND', '0.0.0.0', problems);
  const sipPort = port(env, 'SIP_PORT', 5060, problems);
  const [main, dev] = TRUNKS.map((trunk) => provider(env, trunk, sipBind?.family, problems));
  if (main && dev) refuseOverlap(main, dev, problems);
  if (sipBind && sipPort !== undefined) {
    TRUNKS.forEach((trunk, i) => refuseSelf(trunk, [main, dev][i], sipBind, sipPort, problems));
  }

  if (httpBind && !isLoopback(httpBind)) {
    problems.warnings.push(
      `ASTERISK_HTTP_BIND is not a loopback address: ARI ${isUnspecified(httpBind) ? 'listens on every interface' : 'is reachable from the network'}; ` +
      'firewall the port to the app\'s address only, or use TLS (see asterisk/README.md)',
    );
  }
  if (problems.errors.length > 0) return { errors: problems.errors };
  if (!username || !password || !app || !httpBind || !httpPort || !sipBind || !sipPort || !main || !dev) {
    throw new Error('unreachable: a missing value was not reported as an error');
  }

  const values: Record<string, string> = {
    ARI_USERNAME: username,
    ARI_PASSWORD: password,
    ARI_APP: app,
    ASTERISK_HTTP_BIND: httpBind.address,
    ASTERISK_HTTP_PORT: String(httpPort),
    SIP_TRANSPORT_BIND: hostPort(sipBind, sipPort),
    PROVIDER_MAIN_CONTACT: hostPort(main.host, main.port),
    PROVIDER_MAIN_MATCH: main.match.map(formatNetwork).join(','),
    PROVIDER_DEV_CONTACT: hostPort(dev.host, dev.port),
    PROVIDER_DEV_MATCH: dev.match.map(formatNetwork).join(','),
  };
  const files = Object.fromEntries(TEMPLATE_FILES.map((name) => [name, fill(name, templates[name], values)]));
  return { files, warnings: problems.warnings };
}
