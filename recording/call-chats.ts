import type { AgentStore, CallStore } from '../store';
import type { CallChat, CallChats } from './recording-pipeline';

/** A call's chat from its row: the status message's chat, else the agent's private chat (no status message was sent). */
export function callChatsOf(stores: { calls: Pick<CallStore, 'byId'>; agents: Pick<AgentStore, 'byId'> }): CallChats {
  return {
    async chatOfCall(callId: string): Promise<CallChat | null> {
      const call = await stores.calls.byId(callId);
      if (!call) return null;
      if (call.telegramChatId) return { chatId: call.telegramChatId, statusMessageId: call.statusMessageId };
      const agent = await stores.agents.byId(call.agentId);
      return agent ? { chatId: agent.telegramId, statusMessageId: null } : null;
    },
  };
}
