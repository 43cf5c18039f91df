import type { Call } from '../entities';
import type { CallWithParts } from '../store/call-pages';

/** A call as the API shows it: times in ISO 8601, talk time in whole seconds, a recording link while it is kept. */
export function callViewOf({ call, agent, legs, recording }: CallWithParts): Record<string, unknown> {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    id: call.id,
    agent: agent ? { telegramId: agent.telegramId, name: agent.displayName } : null,
    number: call.target,
    route: call.route,
    callerId: call.callerId,
    stage: call.stage,
    outcome: call.outcome,
    detail: call.detail,
    requestedAt: call.requestedAt.toISOString(),
    connectedAt: iso(call.connectedAt),
    endedAt: iso(call.endedAt),
    talkTimeS: call.connectedAt && call.endedAt ? Math.round((call.endedAt.getTime() - call.connectedAt.getTime()) / 1000) : null,
    disposition: call.disposition,
    note: call.note,
    legs: legs.map((l) => ({ id: l.legId, role: l.role, label: l.label, number: l.number, answeredAt: iso(l.answeredAt), endedAt: iso(l.endedAt) })),
    recording: recording
      ? { state: recording.state, durationMs: recording.durationMs, ...(recording.state === 'kept' ? { url: `/v1/calls/${call.id}/recording` } : {}) }
      : null,
  };
}

/** The opaque cursor after a call in the order newest first: its request time and id. */
export function cursorOf(call: Pick<Call, 'requestedAt' | 'id'>): string {
  return Buffer.from(`${call.requestedAt.getTime()}.${call.id}`).toString('base64url');
}

export function cursorAfter(cursor: string): { requestedAt: Date; id: string } | undefined {
  const match = /^(\d{1,15})\.([A-Za-z0-9-]{1,36})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? { requestedAt: new Date(Number(match[1])), id: match[2]! } : undefined;
}
