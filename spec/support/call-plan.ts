import type { CallPlan } from '../../call/call-machine';

/** A call on the Main route with no answer confirmation, as the engine would plan it. */
export const TEST_PLAN: CallPlan = {
  callId: 'c1',
  route: 'M',
  agentId: 1,
  agentLabel: '+15551230001',
  customerLabel: '+12025550123',
  agentEndpoint: 'PJSIP/+15551230001@trunk-main',
  targetEndpoint: 'PJSIP/+12025550123@trunk-main',
  callerId: '+15550001111',
  agentRingTimeoutS: 30,
  targetRingTimeoutS: 45,
  confirmTimeoutS: 5,
};
