import { Agent } from './agent.entity';
import { AuditEvent } from './audit-event.entity';
import { Call } from './call.entity';
import { CallLeg } from './call-leg.entity';
import { DncListing } from './dnc-listing.entity';
import { DncNumber } from './dnc-number.entity';
import { CallerId } from './caller-id.entity';
import { ClusterLease } from './cluster-lease.entity';
import { AsteriskServerState } from './asterisk-server-state.entity';
import { ScheduledCallback } from './scheduled-callback.entity';
import { ReportMark } from './report-mark.entity';
import { CallRecording } from './call-recording.entity';
import { Setting } from './setting.entity';
import { Supervisor } from './supervisor.entity';
import { WebhookEndpoint } from './webhook-endpoint.entity';
import { WebhookDelivery } from './webhook-delivery.entity';
import { ApiKey } from './api-key.entity';
import { ApiCallRequest } from './api-call-request.entity';
import { ApiRateWindow } from './api-rate-window.entity';
import { SupervisionRequest } from './supervision-request.entity';
import { InitialSchema1764000000000 } from './migrations/1764000000000-initial-schema';
import { SnakeCaseColumns1765000000000 } from './migrations/1765000000000-snake-case-columns';
import { DoNotCallList1766000000000 } from './migrations/1766000000000-do-not-call-list';
import { CallsTargetIndex1766100000000 } from './migrations/1766100000000-calls-target-index';
import { CallerIdPool1766200000000 } from './migrations/1766200000000-caller-id-pool';
import { AgentStatusSuspended1766300000000 } from './migrations/1766300000000-agent-status-suspended';
import { ClusterLeases1766400000000 } from './migrations/1766400000000-cluster-leases';
import { CallsOneLivePerAgent1766500000000 } from './migrations/1766500000000-calls-one-live-per-agent';
import { ClusterCalls1766600000000 } from './migrations/1766600000000-cluster-calls';
import { CallLegs1766700000000 } from './migrations/1766700000000-call-legs';
import { CallsOneLivePerAgentOnCall1766800000000 } from './migrations/1766800000000-calls-one-live-per-agent-on-call';
import { CallAfterWork1767000000000 } from './migrations/1767000000000-call-after-work';
import { CallsStatusMessageIndex1767050000000 } from './migrations/1767050000000-calls-status-message-index';
import { ScheduledCallbacks1767100000000 } from './migrations/1767100000000-scheduled-callbacks';
import { CallRecordings1767200000000 } from './migrations/1767200000000-call-recordings';
import { ReportMarks1767400000000 } from './migrations/1767400000000-report-marks';
import { CallsRecording1767500000000 } from './migrations/1767500000000-calls-recording';
import { CallRecordingsClaim1767600000000 } from './migrations/1767600000000-call-recordings-claim';
import { CallsDirection1767750000000 } from './migrations/1767750000000-calls-direction';
import { Supervisors1767700000000 } from './migrations/1767700000000-supervisors';
import { Webhooks1767850000000 } from './migrations/1767850000000-webhooks';
import { ApiKeys1767800000000 } from './migrations/1767800000000-api-keys';
import { ApiRateAndCallChanges1768100000000 } from './migrations/1768100000000-api-rate-and-call-changes';
import { SupervisionRequests1767950000000 } from './migrations/1767950000000-supervision-requests';
import { PartyRequests1768200000000 } from './migrations/1768200000000-party-requests';
import { CallsCustomerChannel1768000000000 } from './migrations/1768000000000-calls-customer-channel';
import { WebhookEventOnce1768050000000 } from './migrations/1768050000000-webhook-event-once';
import { PartyRequestKinds1768250000000 } from './migrations/1768250000000-party-request-kinds';
import { CallLegChanges1768350000000 } from './migrations/1768350000000-call-leg-changes';
import { SnakeCaseNaming } from './snake-case-naming';

export {
  Agent, AsteriskServerState, AuditEvent, Call, CallLeg, CallRecording, CallerId, ClusterLease, DncListing, DncNumber, ReportMark, ScheduledCallback,
  Setting, SnakeCaseNaming,
};
export { Supervisor };
export { WebhookDelivery, WebhookEndpoint };
export type { WebhookDeliveryState } from './webhook-delivery.entity';
export { ApiCallRequest, ApiKey };
export { ApiRateWindow };
export type { ApiCallRequestState } from './api-call-request.entity';
export { SupervisionRequest };
export type { SupervisionRequestStage } from './supervision-request.entity';
export type { CallbackState } from './scheduled-callback.entity';
export type { RecordingState } from './call-recording.entity';
export type { DncListingKind } from './dnc-listing.entity';
export const ENTITIES = [
  Agent, Call, CallLeg, AuditEvent, DncListing, DncNumber, CallerId, ClusterLease, AsteriskServerState, ScheduledCallback, ReportMark,
  CallRecording, Setting,
  Supervisor,
  WebhookEndpoint, WebhookDelivery,
  ApiKey, ApiCallRequest,
  ApiRateWindow,
  SupervisionRequest,
];
export const MIGRATIONS = [
  InitialSchema1764000000000, SnakeCaseColumns1765000000000, DoNotCallList1766000000000, CallsTargetIndex1766100000000,
  CallerIdPool1766200000000, AgentStatusSuspended1766300000000, ClusterLeases1766400000000, CallsOneLivePerAgent1766500000000,
  ClusterCalls1766600000000, CallLegs1766700000000, CallsOneLivePerAgentOnCall1766800000000,
  CallAfterWork1767000000000, CallsStatusMessageIndex1767050000000, ScheduledCallbacks1767100000000, CallRecordings1767200000000,
  ReportMarks1767400000000, CallsRecording1767500000000,
  CallRecordingsClaim1767600000000,
  CallsDirection1767750000000,
  Supervisors1767700000000,
  Webhooks1767850000000,
  ApiKeys1767800000000,
  SupervisionRequests1767950000000,
  CallsCustomerChannel1768000000000,
  WebhookEventOnce1768050000000,
  ApiRateAndCallChanges1768100000000,
  PartyRequests1768200000000,
  PartyRequestKinds1768250000000,
  CallLegChanges1768350000000,
];
