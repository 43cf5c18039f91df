import type { AuditLog, WebhookDeliveryStore, WebhookEndpointStore } from '../store';
import type { WebhookEndpointActivity } from '../store/webhook-delivery-store';
import type { EndpointDirectory } from './endpoint-directory';
import { type WebhookEventType, parseEventTypes } from './webhook-events';
import { newWebhookSecret } from './webhook-signature';

const MAX_URL_LENGTH = 2048;

export type UrlProblem = 'not_a_url' | 'not_http' | 'has_credentials' | 'too_long';

export type AddEndpointAnswer =
  | { ok: true; id: number; url: string; secret: string; events: WebhookEventType[] | null }
  | { ok: false; problem: UrlProblem }
  | { ok: false; problem: 'unknown_events'; unknown: string[] };

export interface EndpointListing {
  id: number;
  url: string;
  events: WebhookEventType[] | null;
  activity: WebhookEndpointActivity;
}

/** Why a URL cannot receive events, or undefined when it can. */
export function urlProblem(input: string): UrlProblem | undefined {
  if (input.length > MAX_URL_LENGTH) return 'too_long';
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return 'not_a_url';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'not_http';
  if (!url.hostname) return 'not_a_url';
  // Credentials in a URL end up in logs and screenshots; the signature is how a receiver knows us.
  if (url.username || url.password) return 'has_credentials';
  return undefined;
}

/** Where the audit log says an endpoint points: its origin only, since a path may carry a receiver's token. */
function auditedUrl(url: string): string {
  return new URL(url).origin;
}

export interface WebhookEndpointsDeps {
  endpoints: Pick<WebhookEndpointStore, 'add' | 'remove' | 'all'>;
  deliveries: Pick<WebhookDeliveryStore, 'removeEndpoint' | 'activityOf'>;
  audit: Pick<AuditLog, 'record'>;
  directory: Pick<EndpointDirectory, 'invalidate'>;
}

/** What super admins do with endpoints from Telegram (`/webhooks`): add (the secret shown once), remove, list with their deliveries. */
export class WebhookEndpoints {
  constructor(private readonly deps: WebhookEndpointsDeps) {}

  async add(by: string, urlInput: string, eventWords: readonly string[]): Promise<AddEndpointAnswer> {
    const url = urlInput.trim();
    const problem = urlProblem(url);
    if (problem) return { ok: false, problem };
    const parsed = parseEventTypes(eventWords);
    if (!parsed.ok) return { ok: false, problem: 'unknown_events', unknown: parsed.unknown };
    const events = parsed.types.length > 0 ? parsed.types : null;
    const secret = newWebhookSecret();
    const row = await this.deps.endpoints.add({ url, secret, events, createdBy: by });
    await this.deps.audit.record({ actor: by, action: 'webhook_added', subject: String(row.id), details: `${auditedUrl(url)} ${events ? events.join(',') : 'all events'}` });
    this.deps.directory.invalidate();
    return { ok: true, id: row.id, url, secret, events };
  }

  /** False when there is no such endpoint. Its undelivered events go with it. */
  async remove(by: string, id: number): Promise<boolean> {
    const removed = await this.deps.endpoints.remove(id);
    if (!removed) return false;
    await this.deps.deliveries.removeEndpoint(id);
    await this.deps.audit.record({ actor: by, action: 'webhook_removed', subject: String(id), details: '' });
    this.deps.directory.invalidate();
    return true;
  }

  async list(): Promise<EndpointListing[]> {
    const rows = await this.deps.endpoints.all();
    const listings: EndpointListing[] = [];
    for (const row of rows) {
      listings.push({
        id: row.id, url: row.url, events: row.events ? row.events.split(',') as WebhookEventType[] : null,
        activity: await this.deps.deliveries.activityOf(row.id),
      });
    }
    return listings;
  }
}
