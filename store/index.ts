import type { DataSource } from 'typeorm';
import { AgentStore } from './agent-store';
import { AuditLog } from './audit-log';
import { CallStore } from './call-store';
import { CallLegStore } from './call-leg-store';
import { CallRecordingStore } from './call-recording-store';
import { CallerIdStore } from './caller-id-store';
import { DncStore } from './dnc-store';
import { ScheduledCallbackStore } from './scheduled-callback-store';
import { ReportStore } from './report-store';
import { SettingStore } from './setting-store';
import { SupervisorStore } from './supervisor-store';
import { WebhookDeliveryStore } from './webhook-delivery-store';
import { WebhookEndpointStore } from './webhook-endpoint-store';
import { ApiKeyStore } from './api-key-store';
import { ApiCallRequestStore } from './api-call-request-store';
import { CallPages } from './call-pages';

export {
  AgentStore, AuditLog, CallLegStore, CallRecordingStore, CallStore, CallerIdStore, DncStore, ReportStore, ScheduledCallbackStore, SettingStore,
};
export { SupervisorStore };
export type { NewCallback } from './scheduled-callback-store';
export { WebhookDeliveryStore, WebhookEndpointStore };
export { ApiCallRequestStore, ApiKeyStore, CallPages };

export interface Stores {
  agents: AgentStore;
  calls: CallStore;
  /** The legs of calls and their multi-party steps: the engine's PartyRecords. */
  legs: CallLegStore;
  audit: AuditLog;
  dnc: DncStore;
  callerIds: CallerIdStore;
  /** Callbacks agents scheduled after their calls. */
  callbacks: ScheduledCallbackStore;
  /** What /export, /stats and the daily report read, and the daily report's once-a-day claim. */
  reports: ReportStore;
  /** Calls' recordings on their way to the agent, then kept. */
  recordings: CallRecordingStore;
  /** What super admins set from Telegram (recording policies, announcements). */
  settings: SettingStore;
  /** Who may monitor live calls (`/supervisors`, `/live`). */
  supervisors: SupervisorStore;
  /** The URLs that receive the call events (webhooks/). */
  webhookEndpoints: WebhookEndpointStore;
  /** The call events on their way to those URLs. */
  webhookDeliveries: WebhookDeliveryStore;
  /** The HTTP API's keys (hashed). */
  apiKeys: ApiKeyStore;
  /** Calls asked for through the HTTP API, with their idempotency records. */
  apiCallRequests: ApiCallRequestStore;
  /** Calls as the HTTP API reads them, with their legs and recordings. */
  callPages: CallPages;
}

export function createStores(dataSource: DataSource): Stores {
  const audit = new AuditLog(dataSource);
  return {
    agents: new AgentStore(dataSource), calls: new CallStore(dataSource), legs: new CallLegStore(dataSource, audit), audit,
    dnc: new DncStore(dataSource), callerIds: new CallerIdStore(dataSource), callbacks: new ScheduledCallbackStore(dataSource),
    reports: new ReportStore(dataSource), recordings: new CallRecordingStore(dataSource), settings: new SettingStore(dataSource),
    supervisors: new SupervisorStore(dataSource),
    webhookEndpoints: new WebhookEndpointStore(dataSource), webhookDeliveries: new WebhookDeliveryStore(dataSource),
    apiKeys: new ApiKeyStore(dataSource), apiCallRequests: new ApiCallRequestStore(dataSource),
    callPages: new CallPages(dataSource),
  };
}
