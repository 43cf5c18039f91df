/** The JSON schemas of the API's routes: they validate input, shape output and make the OpenAPI document. */

export const problemSchema = {
  type: 'object',
  description: 'RFC 9457 problem details; `code` is the refusal as the audit log keeps it, beside its facts.',
  required: ['type', 'title', 'status', 'code'],
  properties: {
    type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, code: { type: 'string' }, detail: { type: 'string' },
  },
  additionalProperties: true,
} as const;

const TELEGRAM_ID = '^[1-9][0-9]{0,19}$';
/** Printable text without control characters: it is shown in the agent's Telegram prompt. */
const PRINTABLE = '^[^\\u0000-\\u001f\\u007f]+$';

export const callRequestBodySchema = {
  type: 'object',
  required: ['agent', 'number'],
  additionalProperties: false,
  properties: {
    agent: { type: 'string', pattern: TELEGRAM_ID, description: 'The agent\'s Telegram user id.' },
    number: { type: 'string', minLength: 1, maxLength: 64, description: 'The customer\'s number, as the CRM has it; checked as /call checks it.' },
    crm: { type: 'string', minLength: 1, maxLength: 64, pattern: PRINTABLE, description: 'Who asks, as the agent\'s prompt names it; the key\'s name without it.' },
  },
} as const;

export const callRequestAnswerSchema = {
  type: 'object',
  required: ['requestId', 'state', 'agent', 'number'],
  properties: {
    requestId: { type: 'string' },
    state: { type: 'string', enum: ['prompted', 'placed'] },
    agent: { type: 'string' },
    number: { type: 'string', description: 'E.164' },
    callId: { type: 'string', description: 'Present once the call is placed: a prompted request repeated with the same Idempotency-Key after the agent\'s tap answers `placed` with it.' },
  },
} as const;

const time = { type: ['string', 'null'], format: 'date-time' } as const;

export const callSchema = {
  type: 'object',
  required: ['id', 'agent', 'number', 'stage', 'outcome', 'requestedAt', 'connectedAt', 'endedAt', 'talkTimeS', 'disposition', 'note', 'legs', 'recording'],
  properties: {
    id: { type: 'string' },
    agent: {
      type: ['object', 'null'], required: ['telegramId', 'name'],
      properties: { telegramId: { type: 'string' }, name: { type: 'string' } },
    },
    number: { type: ['string', 'null'], description: 'The customer\'s number (E.164), when it was valid.' },
    route: { type: ['string', 'null'] },
    callerId: { type: ['string', 'null'] },
    stage: { type: 'string' },
    outcome: { type: ['string', 'null'] },
    detail: { type: ['string', 'null'], description: 'For a refused request: the refusal as the audit log keeps it.' },
    requestedAt: { type: 'string', format: 'date-time' },
    connectedAt: time,
    endedAt: time,
    talkTimeS: { type: ['integer', 'null'], description: 'From connected to ended, in whole seconds.' },
    disposition: { type: ['string', 'null'] },
    note: { type: ['string', 'null'] },
    legs: {
      type: 'array',
      items: {
        type: 'object', required: ['id', 'role'],
        properties: {
          id: { type: 'string' }, role: { type: ['string', 'null'] }, label: { type: ['string', 'null'] }, number: { type: ['string', 'null'] },
          answeredAt: time, endedAt: time,
        },
      },
    },
    recording: {
      type: ['object', 'null'], required: ['state'],
      properties: { state: { type: 'string' }, durationMs: { type: ['integer', 'null'] }, url: { type: 'string', description: 'Where to download it, while it is kept.' } },
    },
  },
} as const;

export const callPageSchema = {
  type: 'object',
  required: ['calls'],
  properties: { calls: { type: 'array', items: callSchema }, nextCursor: { type: 'string', description: 'Pass as `cursor` for the next page; absent on the last.' } },
} as const;

export const callQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    agent: { type: 'string', pattern: TELEGRAM_ID },
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time' },
    limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
    cursor: { type: 'string', maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' },
  },
} as const;

export const callIdParamsSchema = {
  type: 'object', required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 36, pattern: '^[A-Za-z0-9-]+$' } },
} as const;

export const dncParamsSchema = {
  type: 'object', required: ['number'],
  properties: { number: { type: 'string', minLength: 3, maxLength: 32, pattern: '^\\+?[0-9]+$', description: 'E.164, or national in DEFAULT_REGION.' } },
} as const;

export const dncBodySchema = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: { reason: { type: 'string', maxLength: 200, pattern: PRINTABLE } },
} as const;

export const dncEntrySchema = {
  type: 'object',
  required: ['number', 'listed'],
  properties: {
    number: { type: 'string' },
    listed: { type: 'boolean' },
    since: { type: 'string', format: 'date-time' },
    kind: { type: 'string' },
    changed: { type: 'boolean', description: 'PUT/DELETE: whether this request added or removed it.' },
  },
} as const;
