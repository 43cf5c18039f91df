/**
 * ARI's REST surface: matches a request to an operation of the api-docs table, turns its
 * parameters into a call on the core, and the result (or AriError) into an HTTP answer.
 */
import { OPERATIONS, apiDeclaration, isResourceName, resourceListing, type OperationSpec } from './api-docs';
import { AriError, type AriCore, type CreateParams, type OriginateParams } from './core';

/** Decoded request parameters: the query string merged with a JSON body's scalar fields. */
export type Params = Readonly<Record<string, string>>;

export interface RestResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

type Handler = (core: AriCore, path: Params, q: Params) => RestResult | Promise<RestResult>;

const ok = (body: unknown): RestResult => ({ status: 200, body });
const NO_CONTENT: RestResult = { status: 204 };

/** Asterisk splits allowMultiple values on commas. */
function list(value: string | undefined): string[] {
  return value === undefined || value === '' ? [] : value.split(',');
}

/** The generated stubs use atoi(): garbage reads as 0. */
function int(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number.parseInt(value, 10);
  return Number.isFinite(n) ? n : 0;
}

function need(params: Params, name: string): string {
  const value = params[name];
  if (value === undefined) throw new Error(`route matched without path parameter ${name}`);
  return value;
}

function originateParams(q: Params, channelId: string | undefined): OriginateParams {
  return {
    endpoint: q['endpoint'],
    extension: q['extension'],
    app: q['app'],
    appArgs: q['appArgs'],
    callerId: q['callerId'],
    timeout: int(q['timeout']),
    channelId,
    originator: q['originator'],
    formats: q['formats'],
  };
}

function createParams(q: Params): CreateParams {
  const variables = q['variables'] !== undefined ? parseVariables(q['variables']) : undefined;
  return {
    endpoint: q['endpoint'], app: q['app'], appArgs: q['appArgs'], channelId: q['channelId'], originator: q['originator'], formats: q['formats'],
    ...(variables ? { variables } : {}),
  };
}

/** The body's `variables` object, which the server passes on as JSON text. */
function parseVariables(text: string): Record<string, string> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
  } catch {
    return undefined;
  }
}

const HANDLERS: Readonly<Record<string, Handler>> = {
  'asterisk.getInfo': (core, _p, q) => ok(core.asteriskInfo(list(q['only']))),

  'applications.list': (core) => ok(core.listApplications()),
  'applications.get': (core, p) => ok(core.getApplication(need(p, 'applicationName'))),

  'channels.list': (core) => ok(core.listChannels()),
  'channels.originate': (core, _p, q) => ok(core.originate(originateParams(q, q['channelId']))),
  'channels.originateWithId': (core, p, q) => ok(core.originate(originateParams(q, need(p, 'channelId')))),
  'channels.create': (core, _p, q) => ok(core.create(createParams(q))),
  'channels.get': (core, p) => ok(core.getChannel(need(p, 'channelId'))),
  'channels.hangup': (core, p, q) => {
    core.hangup(need(p, 'channelId'), q['reason'], q['reason_code']);
    return NO_CONTENT;
  },
  'channels.answer': (core, p) => {
    core.answer(need(p, 'channelId'));
    return NO_CONTENT;
  },
  'channels.ring': (core, p) => {
    core.ring(need(p, 'channelId'));
    return NO_CONTENT;
  },
  'channels.dial': (core, p, q) => {
    core.dial(need(p, 'channelId'), q['caller'], int(q['timeout']) ?? 0);
    return NO_CONTENT;
  },
  'channels.snoopChannel': (core, p, q) => ok(core.snoop(need(p, 'channelId'), {
    spy: q['spy'], whisper: q['whisper'], app: q['app'], appArgs: q['appArgs'], snoopId: q['snoopId'],
  })),
  'channels.play': (core, p, q) => played(core.play(need(p, 'channelId'), list(q['media']), q['lang'], q['playbackId'])),
  'channels.playWithId': (core, p, q) => played(core.play(need(p, 'channelId'), list(q['media']), q['lang'], need(p, 'playbackId'))),

  'playbacks.get': (core, p) => ok(core.getPlayback(need(p, 'playbackId'))),
  'playbacks.stop': (core, p) => {
    core.stopPlayback(need(p, 'playbackId'));
    return NO_CONTENT;
  },

  'bridges.list': (core) => ok(core.listBridges()),
  'bridges.create': (core, _p, q) => ok(core.createBridge(q['bridgeId'], q['type'], q['name'])),
  'bridges.createWithId': (core, p, q) => ok(core.createBridge(need(p, 'bridgeId'), q['type'], q['name'])),
  'bridges.get': (core, p) => ok(core.getBridge(need(p, 'bridgeId'))),
  'bridges.destroy': (core, p) => {
    core.destroyBridge(need(p, 'bridgeId'));
    return NO_CONTENT;
  },
  'bridges.addChannel': async (core, p, q) => {
    await core.addChannel(need(p, 'bridgeId'), list(q['channel']));
    return NO_CONTENT;
  },
  'bridges.startMoh': (core, p, q) => {
    core.startMoh(need(p, 'bridgeId'), q['mohClass']);
    return NO_CONTENT;
  },
  'bridges.stopMoh': (core, p) => {
    core.stopMoh(need(p, 'bridgeId'));
    return NO_CONTENT;
  },
  'bridges.play': (core, p, q) => played(core.playToBridge(need(p, 'bridgeId'), list(q['media']), q['lang'], q['playbackId'])),
  'bridges.playWithId': (core, p, q) => played(core.playToBridge(need(p, 'bridgeId'), list(q['media']), q['lang'], need(p, 'playbackId'))),
  'bridges.record': (core, p, q) => ({ status: 201, body: core.recordBridge(need(p, 'bridgeId'), q['name'], q['format']) }),

  'recordings.getStoredFile': (core, p) => {
    const stored = core.storedRecordingFile(need(p, 'recordingName'));
    return { status: 200, body: stored.file, headers: { 'Content-Type': stored.format === 'wav' ? 'audio/wav' : `audio/${stored.format}` } };
  },
  'recordings.deleteStored': (core, p) => {
    core.deleteStoredRecording(need(p, 'recordingName'));
    return NO_CONTENT;
  },
  'recordings.stop': (core, p) => {
    core.stopRecording(need(p, 'recordingName'));
    return NO_CONTENT;
  },
  'recordings.pause': (core, p) => {
    core.pauseRecording(need(p, 'recordingName'));
    return NO_CONTENT;
  },
  'recordings.unpause': (core, p) => {
    core.unpauseRecording(need(p, 'recordingName'));
    return NO_CONTENT;
  },
  'bridges.removeChannel': async (core, p, q) => {
    await core.removeChannel(need(p, 'bridgeId'), list(q['channel']));
    return NO_CONTENT;
  },
};

function played(body: { id: string }): RestResult {
  return { status: 201, body, headers: { Location: `/playbacks/${encodeURIComponent(body.id)}` } };
}

interface Route {
  spec: OperationSpec;
  handler: Handler;
  /** Template segments; `{name}` captures. */
  segments: readonly string[];
  literals: number;
}

export class RestApi {
  /** Routes by `METHOD segment-count`, most literal first (so /channels/create beats /channels/{id}). */
  private readonly routes = new Map<string, Route[]>();

  constructor(private readonly core: AriCore) {
    for (const spec of OPERATIONS) {
      if (spec.resource === 'events') continue; // served as a WebSocket upgrade by server.ts
      const handler = HANDLERS[`${spec.resource}.${spec.nickname}`];
      if (handler === undefined) throw new Error(`api-docs operation ${spec.resource}.${spec.nickname} has no handler`);
      const segments = spec.path.split('/').slice(1);
      const key = `${spec.method} ${segments.length}`;
      const bucket = this.routes.get(key) ?? [];
      bucket.push({ spec, handler, segments, literals: segments.filter((s) => !s.startsWith('{')).length });
      bucket.sort((a, b) => b.literals - a.literals);
      this.routes.set(key, bucket);
    }
  }

  /** `pathname` is relative to /ari, e.g. `/channels/abc/dial`. */
  async handle(method: string, pathname: string, params: Params, host: string): Promise<RestResult> {
    let segments: string[];
    try {
      segments = pathname.split('/').slice(1).map((s) => decodeURIComponent(s));
    } catch {
      return { status: 400, body: { message: 'Malformed path' } };
    }
    if (segments[0] === 'api-docs') return this.docs(method, segments, `http://${host}/ari`);

    const match = this.match(method, segments);
    if (match === undefined) {
      const otherMethod = (['GET', 'POST', 'DELETE'] as const).some((m) => m !== method && this.match(m, segments) !== undefined);
      return otherMethod ? { status: 405, body: { message: 'Invalid method' } } : { status: 404, body: { message: 'Resource not found' } };
    }
    try {
      return await match.route.handler(this.core, match.pathParams, params);
    } catch (err) {
      if (err instanceof AriError) return { status: err.status, body: { message: err.message } };
      throw new Error(`${method} /ari${pathname} failed inside the simulator`, { cause: err });
    }
  }

  private match(method: string, segments: readonly string[]): { route: Route; pathParams: Params } | undefined {
    const bucket = this.routes.get(`${method} ${segments.length}`);
    if (bucket === undefined) return undefined;
    for (const route of bucket) {
      const pathParams: Record<string, string> = {};
      let matched = true;
      for (let i = 0; i < route.segments.length && matched; i += 1) {
        const template = route.segments[i] ?? '';
        const actual = segments[i] ?? '';
        if (template.startsWith('{')) {
          if (actual === '') matched = false;
          else pathParams[template.slice(1, -1)] = actual;
        } else if (template !== actual) {
          matched = false;
        }
      }
      if (matched) return { route, pathParams };
    }
    return undefined;
  }

  private docs(method: string, segments: readonly string[], basePath: string): RestResult {
    if (method !== 'GET') return { status: 405, body: { message: 'Invalid method' } };
    const file = segments.length === 2 ? segments[1] ?? '' : '';
    if (file === 'resources.json') return ok(resourceListing(basePath));
    const name = file.endsWith('.json') ? file.slice(0, -'.json'.length) : '';
    if (isResourceName(name)) return ok(apiDeclaration(name, basePath));
    return { status: 404, body: { message: 'Resource not found' } };
  }
}
