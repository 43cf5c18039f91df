/**
 * Our own Swagger 1.1 documents for the part of ARI the simulator serves, generated from one
 * compact table. ari-client builds its methods from these at connect time, so each operation's
 * nickname, path and parameters (name, paramType, dataType, allowMultiple, required) follow
 * Asterisk 18.9's declarations; the same table routes the simulator's REST requests.
 */

export type HttpMethod = 'GET' | 'POST' | 'DELETE';
export type ResourceName = 'asterisk' | 'applications' | 'channels' | 'bridges' | 'playbacks' | 'recordings' | 'events';

export interface ParamSpec {
  name: string;
  paramType: 'path' | 'query' | 'body';
  required: boolean;
  allowMultiple: boolean;
  dataType: string;
  defaultValue?: string | number | boolean;
  allowableValues?: { valueType: 'LIST'; values: string[] } | { valueType: 'RANGE'; min: number };
}

export interface OperationSpec {
  resource: ResourceName;
  path: string;
  method: HttpMethod;
  nickname: string;
  summary: string;
  responseClass: string;
  params: readonly ParamSpec[];
  errors: ReadonlyArray<readonly [number, string]>;
}

// ---- compact notation ------------------------------------------------------------------

const path = (name: string): ParamSpec => ({ name, paramType: 'path', required: true, allowMultiple: false, dataType: 'string' });

interface QueryExtras {
  required?: boolean;
  multi?: boolean;
  def?: string | number | boolean;
  list?: string[];
  min?: number;
}

function query(name: string, dataType = 'string', x: QueryExtras = {}): ParamSpec {
  const p: ParamSpec = { name, paramType: 'query', required: x.required ?? false, allowMultiple: x.multi ?? false, dataType };
  if (x.def !== undefined) p.defaultValue = x.def;
  if (x.list !== undefined) p.allowableValues = { valueType: 'LIST', values: x.list };
  else if (x.min !== undefined) p.allowableValues = { valueType: 'RANGE', min: x.min };
  return p;
}

const body = (name: string): ParamSpec => ({ name, paramType: 'body', required: false, allowMultiple: false, dataType: 'containers' });

function op(
  resource: ResourceName,
  method: HttpMethod,
  opPath: string,
  nickname: string,
  responseClass: string,
  summary: string,
  params: readonly ParamSpec[] = [],
  errors: ReadonlyArray<readonly [number, string]> = [],
): OperationSpec {
  return { resource, method, path: opPath, nickname, responseClass, summary, params, errors };
}

// Shared by originate and originateWithId, in Asterisk's order (after the id, for the latter).
const ORIGINATE_HEAD = [query('endpoint', 'string', { required: true }), query('extension'), query('context'), query('priority', 'long'), query('label'), query('app'), query('appArgs'), query('callerId'), query('timeout', 'int', { def: 30 }), body('variables')];
const ORIGINATE_TAIL = [query('otherChannelId'), query('originator'), query('formats')];
const ORIGINATE_ERRORS = [[400, 'Invalid parameters for originating a channel.'], [409, 'Channel with given unique ID already exists.']] as const;
const PLAY_OPTIONS = [query('lang'), query('offsetms', 'int'), query('skipms', 'int', { def: 3000 })];
const CONTROL_ERRORS = [[404, 'Channel not found'], [409, 'Channel not in a Stasis application'], [412, 'Channel in invalid state']] as const;
const HANGUP_REASONS = ['normal', 'busy', 'congestion', 'no_answer', 'timeout', 'rejected', 'unallocated', 'normal_unspecified', 'number_incomplete', 'codec_mismatch', 'interworking', 'failure', 'answered_elsewhere'];

export const OPERATIONS: readonly OperationSpec[] = [
  op('asterisk', 'GET', '/asterisk/info', 'getInfo', 'AsteriskInfo', 'What this Asterisk is.', [query('only', 'string', { multi: true, list: ['build', 'system', 'config', 'status'] })]),

  op('applications', 'GET', '/applications', 'list', 'List[Application]', 'Registered Stasis applications.'),
  op('applications', 'GET', '/applications/{applicationName}', 'get', 'Application', 'One Stasis application.', [path('applicationName')], [[404, 'Application does not exist.']]),

  op('channels', 'GET', '/channels', 'list', 'List[Channel]', 'Every channel.'),
  op('channels', 'POST', '/channels', 'originate', 'Channel', 'Call an endpoint; it enters the app when it answers.', [...ORIGINATE_HEAD, query('channelId'), ...ORIGINATE_TAIL], ORIGINATE_ERRORS),
  op('channels', 'POST', '/channels/create', 'create', 'Channel', 'Make a channel that is in the app at once and dialled later.', [query('endpoint', 'string', { required: true }), query('app', 'string', { required: true }), query('appArgs'), query('channelId'), query('otherChannelId'), query('originator'), query('formats'), body('variables')], [[409, 'Channel with given unique ID already exists.']]),
  op('channels', 'GET', '/channels/{channelId}', 'get', 'Channel', 'One channel.', [path('channelId')], [[404, 'Channel not found']]),
  op('channels', 'POST', '/channels/{channelId}', 'originateWithId', 'Channel', 'Originate with the given channel id.', [path('channelId'), ...ORIGINATE_HEAD, ...ORIGINATE_TAIL], ORIGINATE_ERRORS),
  op('channels', 'DELETE', '/channels/{channelId}', 'hangup', 'void', 'Hang a channel up.', [path('channelId'), query('reason_code'), query('reason', 'string', { list: HANGUP_REASONS })], [[400, 'Invalid reason for hangup provided'], [404, 'Channel not found']]),
  op('channels', 'POST', '/channels/{channelId}/answer', 'answer', 'void', 'Answer a channel.', [path('channelId')], CONTROL_ERRORS),
  op('channels', 'POST', '/channels/{channelId}/ring', 'ring', 'void', 'Indicate ringing to a channel.', [path('channelId')], CONTROL_ERRORS),
  op('channels', 'POST', '/channels/{channelId}/play', 'play', 'Playback', 'Play media to a channel.', [path('channelId'), query('media', 'string', { required: true, multi: true }), ...PLAY_OPTIONS, query('playbackId')], CONTROL_ERRORS),
  op('channels', 'POST', '/channels/{channelId}/play/{playbackId}', 'playWithId', 'Playback', 'Play media to a channel with the given playback id.', [path('channelId'), path('playbackId'), query('media', 'string', { required: true, multi: true }), ...PLAY_OPTIONS], CONTROL_ERRORS),
  op('channels', 'POST', '/channels/{channelId}/snoop', 'snoopChannel', 'Channel', 'Snoop (spy/whisper) on a channel; the snoop channel enters the app at once.', [path('channelId'), query('spy', 'string', { def: 'none', list: ['none', 'both', 'out', 'in'] }), query('whisper', 'string', { def: 'none', list: ['none', 'both', 'out', 'in'] }), query('app', 'string', { required: true }), query('appArgs'), query('snoopId')], [[400, 'Invalid parameters'], [404, 'Channel not found']]),
  op('channels', 'POST', '/channels/{channelId}/dial', 'dial', 'void', 'Dial a channel made by /channels/create.', [path('channelId'), query('caller'), query('timeout', 'int', { def: 0, min: 0 })], [[404, 'Channel cannot be found.'], [409, 'Channel cannot be dialed.']]),

  op('playbacks', 'GET', '/playbacks/{playbackId}', 'get', 'Playback', 'One playback.', [path('playbackId')], [[404, 'The playback cannot be found']]),
  op('playbacks', 'DELETE', '/playbacks/{playbackId}', 'stop', 'void', 'Stop a playback.', [path('playbackId')], [[404, 'The playback cannot be found']]),

  op('bridges', 'GET', '/bridges', 'list', 'List[Bridge]', 'Every bridge.'),
  op('bridges', 'POST', '/bridges', 'create', 'Bridge', 'Make a bridge.', [query('type'), query('bridgeId'), query('name')]),
  op('bridges', 'POST', '/bridges/{bridgeId}', 'createWithId', 'Bridge', 'Make a bridge with the given id (or update it).', [query('type'), path('bridgeId'), query('name')]),
  op('bridges', 'GET', '/bridges/{bridgeId}', 'get', 'Bridge', 'One bridge.', [path('bridgeId')], [[404, 'Bridge not found']]),
  op('bridges', 'DELETE', '/bridges/{bridgeId}', 'destroy', 'void', 'Destroy a bridge; its channels stay in the app.', [path('bridgeId')], [[404, 'Bridge not found']]),
  op('bridges', 'POST', '/bridges/{bridgeId}/addChannel', 'addChannel', 'void', 'Put channels into a bridge.', [path('bridgeId'), query('channel', 'string', { required: true, multi: true }), query('role'), query('absorbDTMF', 'boolean', { def: false }), query('mute', 'boolean', { def: false }), query('inhibitConnectedLineUpdates', 'boolean', { def: false })], [[400, 'Channel not found'], [404, 'Bridge not found'], [409, 'Bridge not in Stasis application; Channel currently recording'], [422, 'Channel not in Stasis application']]),
  op('bridges', 'POST', '/bridges/{bridgeId}/removeChannel', 'removeChannel', 'void', 'Take channels out of a bridge.', [path('bridgeId'), query('channel', 'string', { required: true, multi: true })], [[400, 'Channel not found'], [404, 'Bridge not found'], [409, 'Bridge not in Stasis application'], [422, 'Channel not in this bridge']]),
  op('bridges', 'POST', '/bridges/{bridgeId}/moh', 'startMoh', 'void', 'Play music on hold to a bridge.', [path('bridgeId'), query('mohClass')], [[404, 'Bridge not found'], [409, 'Bridge not in Stasis application']]),
  op('bridges', 'POST', '/bridges/{bridgeId}/play', 'play', 'Playback', 'Play media to a bridge.', [path('bridgeId'), query('media', 'string', { required: true, multi: true }), ...PLAY_OPTIONS, query('playbackId')], [[404, 'Bridge not found'], [409, 'Bridge not in a Stasis application']]),
  op('bridges', 'POST', '/bridges/{bridgeId}/play/{playbackId}', 'playWithId', 'Playback', 'Play media to a bridge with the given playback id.', [path('bridgeId'), path('playbackId'), query('media', 'string', { required: true, multi: true }), ...PLAY_OPTIONS], [[404, 'Bridge not found'], [409, 'Bridge not in a Stasis application']]),
  op('bridges', 'DELETE', '/bridges/{bridgeId}/moh', 'stopMoh', 'void', 'Stop music on hold on a bridge.', [path('bridgeId')], [[404, 'Bridge not found'], [409, 'Bridge not in Stasis application']]),

  op('bridges', 'POST', '/bridges/{bridgeId}/record', 'record', 'LiveRecording', 'Start a recording of a bridge.', [path('bridgeId'), query('name', 'string', { required: true }), query('format', 'string', { required: true }), query('maxDurationSeconds', 'int', { def: 0, min: 0 }), query('maxSilenceSeconds', 'int', { def: 0, min: 0 }), query('ifExists', 'string', { def: 'fail', list: ['fail', 'overwrite', 'append'] }), query('beep', 'boolean', { def: false }), query('terminateOn', 'string', { def: 'none', list: ['none', 'any', '*', '#'] })], [[400, 'Invalid parameters'], [404, 'Bridge not found'], [409, 'Bridge is not in a Stasis application; A recording with the same name already exists on the system and can not be overwritten because it is in progress or ifExists=fail'], [422, 'The format specified is unknown on this system']]),

  op('recordings', 'GET', '/recordings/stored/{recordingName}/file', 'getStoredFile', 'binary', 'The file of a stored recording.', [path('recordingName')], [[403, 'The recording file could not be opened'], [404, 'Recording not found']]),
  op('recordings', 'DELETE', '/recordings/stored/{recordingName}', 'deleteStored', 'void', 'Delete a stored recording.', [path('recordingName')], [[404, 'Recording not found']]),
  op('recordings', 'POST', '/recordings/live/{recordingName}/stop', 'stop', 'void', 'Stop a live recording and store it.', [path('recordingName')], [[404, 'Recording not found']]),
  op('recordings', 'POST', '/recordings/live/{recordingName}/pause', 'pause', 'void', 'Pause a live recording.', [path('recordingName')], [[404, 'Recording not found'], [409, 'Recording not in session']]),
  op('recordings', 'DELETE', '/recordings/live/{recordingName}/pause', 'unpause', 'void', 'Unpause a live recording.', [path('recordingName')], [[404, 'Recording not found'], [409, 'Recording not in session']]),

  op('events', 'GET', '/events', 'eventWebsocket', 'Message', 'The WebSocket the events arrive on.', [query('app', 'string', { required: true, multi: true }), query('subscribeAll', 'boolean')]),
];

// ---- models ----------------------------------------------------------------------------

/** `name: 'Type'` is required, `name: 'Type?'` optional. */
type ModelTable = Record<string, Record<string, string>>;

const CHANNEL_MODELS: ModelTable = {
  CallerID: { name: 'string', number: 'string' },
  DialplanCEP: { context: 'string', exten: 'string', priority: 'long', app_name: 'string', app_data: 'string' },
  Channel: { id: 'string', name: 'string', state: 'string', caller: 'CallerID', connected: 'CallerID', accountcode: 'string', dialplan: 'DialplanCEP', creationtime: 'Date', language: 'string', channelvars: 'object?' },
};

const RESOURCE_MODELS: Record<ResourceName, ModelTable> = {
  asterisk: {
    AsteriskInfo: { build: 'BuildInfo?', system: 'SystemInfo?', config: 'ConfigInfo?', status: 'StatusInfo?' },
    BuildInfo: { os: 'string', kernel: 'string', options: 'string', machine: 'string', date: 'string', user: 'string' },
    SystemInfo: { version: 'string', entity_id: 'string' },
    SetId: { user: 'string', group: 'string' },
    ConfigInfo: { name: 'string', default_language: 'string', max_channels: 'int?', max_open_files: 'int?', max_load: 'double?', setid: 'SetId' },
    StatusInfo: { startup_time: 'Date', last_reload_time: 'Date' },
  },
  applications: {
    Application: { name: 'string', channel_ids: 'List[string]', bridge_ids: 'List[string]', endpoint_ids: 'List[string]', device_names: 'List[string]', events_allowed: 'List[object]', events_disallowed: 'List[object]' },
  },
  channels: CHANNEL_MODELS,
  bridges: {
    Bridge: { id: 'string', technology: 'string', bridge_type: 'string', bridge_class: 'string', creator: 'string', name: 'string', channels: 'List[string]', video_mode: 'string?', video_source_id: 'string?', creationtime: 'Date' },
  },
  playbacks: {
    Playback: { id: 'string', media_uri: 'string', next_media_uri: 'string?', target_uri: 'string', language: 'string?', state: 'string' },
  },
  recordings: {
    LiveRecording: { name: 'string', format: 'string', target_uri: 'string', state: 'string', duration: 'int?', talking_duration: 'int?', silence_duration: 'int?', cause: 'string?' },
    StoredRecording: { name: 'string', format: 'string' },
  },
  events: {
    Message: { type: 'string', asterisk_id: 'string?' },
    Event: { application: 'string', timestamp: 'Date' },
    Dial: { caller: 'Channel?', peer: 'Channel', forward: 'string?', forwarded: 'Channel?', dialstring: 'string?', dialstatus: 'string' },
    ChannelStateChange: { channel: 'Channel' },
    ChannelVarset: { variable: 'string', value: 'string', channel: 'Channel?' },
    StasisStart: { args: 'List[string]', channel: 'Channel', replace_channel: 'Channel?' },
    StasisEnd: { channel: 'Channel' },
    ChannelDialplan: { channel: 'Channel', dialplan_app: 'string', dialplan_app_data: 'string' },
    ChannelHangupRequest: { cause: 'int?', soft: 'boolean?', channel: 'Channel' },
    ChannelDestroyed: { cause: 'int', cause_txt: 'string', channel: 'Channel' },
    ChannelEnteredBridge: { bridge: 'Bridge', channel: 'Channel?' },
    ChannelLeftBridge: { bridge: 'Bridge', channel: 'Channel' },
    ChannelConnectedLine: { channel: 'Channel' },
    ChannelCallerId: { caller_presentation: 'int', caller_presentation_txt: 'string', channel: 'Channel' },
    ChannelDtmfReceived: { digit: 'string', duration_ms: 'int', channel: 'Channel' },
    PlaybackStarted: { playback: 'Playback' },
    PlaybackContinuing: { playback: 'Playback' },
    PlaybackFinished: { playback: 'Playback' },
    RecordingStarted: { recording: 'LiveRecording' },
    RecordingFinished: { recording: 'LiveRecording' },
    RecordingFailed: { recording: 'LiveRecording' },
    BridgeDestroyed: { bridge: 'Bridge' },
    ApplicationReplaced: {},
  },
};

const EVENT_BASES: Readonly<Record<string, string>> = { Message: '', Event: 'Message' };

interface SwaggerProperty {
  type: string;
  required: boolean;
}

interface SwaggerModel {
  id: string;
  extends?: string;
  discriminator?: string;
  subTypes?: string[];
  properties: Record<string, SwaggerProperty>;
}

function buildModels(resource: ResourceName): Record<string, SwaggerModel> {
  const table = RESOURCE_MODELS[resource];
  const models: Record<string, SwaggerModel> = {};
  for (const [id, props] of Object.entries(table)) {
    const properties: Record<string, SwaggerProperty> = {};
    for (const [name, spec] of Object.entries(props)) {
      const optional = spec.endsWith('?');
      properties[name] = { type: optional ? spec.slice(0, -1) : spec, required: !optional };
    }
    const model: SwaggerModel = { id, properties };
    if (resource === 'events') {
      if (id === 'Message') {
        model.discriminator = 'type';
        model.subTypes = ['Event'];
      } else if (id === 'Event') {
        model.extends = 'Message';
        model.subTypes = Object.keys(table).filter((name) => !(name in EVENT_BASES));
      } else {
        model.extends = 'Event';
      }
    }
    models[id] = model;
  }
  return models;
}

// ---- documents -------------------------------------------------------------------------

const RESOURCE_DESCRIPTIONS: Record<ResourceName, string> = {
  asterisk: 'Asterisk resources',
  channels: 'Channel resources',
  bridges: 'Bridge resources',
  playbacks: 'Playback control resources',
  recordings: 'Recording resources',
  events: 'WebSocket resource',
  applications: 'Stasis application resources',
};

export function isResourceName(name: string): name is ResourceName {
  return Object.prototype.hasOwnProperty.call(RESOURCE_DESCRIPTIONS, name);
}

/** GET /ari/api-docs/resources.json; basePath is built from the request's Host, as Asterisk does. */
export function resourceListing(basePath: string): object {
  return {
    apiVersion: '6.0.0',
    swaggerVersion: '1.1',
    basePath,
    apis: (Object.keys(RESOURCE_DESCRIPTIONS) as ResourceName[]).map((name) => ({
      path: `/api-docs/${name}.{format}`,
      description: RESOURCE_DESCRIPTIONS[name],
    })),
  };
}

/** GET /ari/api-docs/{resource}.json. */
export function apiDeclaration(resource: ResourceName, basePath: string): object {
  const byPath = new Map<string, OperationSpec[]>();
  for (const spec of OPERATIONS) {
    if (spec.resource !== resource) continue;
    const list = byPath.get(spec.path) ?? [];
    list.push(spec);
    byPath.set(spec.path, list);
  }
  return {
    apiVersion: '2.0.0',
    swaggerVersion: resource === 'events' ? '1.2' : '1.1',
    basePath,
    resourcePath: `/api-docs/${resource}.{format}`,
    apis: Array.from(byPath, ([apiPath, specs]) => ({
      path: apiPath,
      description: RESOURCE_DESCRIPTIONS[resource],
      operations: specs.map((spec) => ({
        httpMethod: spec.method,
        ...(spec.nickname === 'eventWebsocket' ? { upgrade: 'websocket', websocketProtocol: 'ari' } : {}),
        summary: spec.summary,
        nickname: spec.nickname,
        responseClass: spec.responseClass,
        parameters: spec.params.map((p) => ({ ...p, description: '' })),
        errorResponses: spec.errors.map(([code, reason]) => ({ code, reason })),
      })),
    })),
    models: buildModels(resource),
  };
}
