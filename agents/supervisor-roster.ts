/**
 * Supervisors, as super admins manage them (`/supervisors add|remove`): every change audited.
 * A supervisor monitors live calls (engine/supervision-desk.ts) and places none unless also an
 * authorized agent. A super admin may act as one with the phone they are listed with, or, when not
 * listed, with their agent phone.
 */
import type { Config } from '../config/config';
import type { AuditTrail } from '../engine/call-engine-ports';
import type { Supervisor } from '../entities';
import { type NumberCheck, checkDialableNumber } from '../phone/number-policy';
import type { AgentStore, SupervisorStore } from '../store';

export type AddSupervisorResult = { ok: true; phone: string; isNew: boolean } | { ok: false; check: Extract<NumberCheck, { ok: false }> };

/** Who may supervise now, with the phone to ring and their agent id (they may not supervise their own call). */
export interface ActingSupervisor {
  telegramId: string;
  phone: string;
  agentId: number | null;
}

export interface SupervisorRosterDeps {
  supervisors: SupervisorStore;
  agents: AgentStore;
  audit: AuditTrail;
  config: Pick<Config, 'defaultRegion' | 'allowedCountries'> & { telegram: Pick<Config['telegram'], 'superAdminIds'> };
}

export class SupervisorRoster {
  constructor(private readonly deps: SupervisorRosterDeps) {}

  async add(by: string, telegramId: string, phoneInput: string): Promise<AddSupervisorResult> {
    const { defaultRegion, allowedCountries } = this.deps.config;
    const check = checkDialableNumber(phoneInput, { defaultRegion, allowedCountries });
    if (!check.ok) return { ok: false, check };
    const isNew = await this.deps.supervisors.put(telegramId, check.e164, by);
    await this.deps.audit.record({ actor: by, action: isNew ? 'supervisor_added' : 'supervisor_phone_set', subject: telegramId, details: `phone ${check.e164}` });
    return { ok: true, phone: check.e164, isNew };
  }

  async remove(by: string, telegramId: string): Promise<boolean> {
    const removed = await this.deps.supervisors.remove(telegramId);
    if (removed) await this.deps.audit.record({ actor: by, action: 'supervisor_removed', subject: telegramId });
    return removed;
  }

  list(): Promise<Supervisor[]> {
    return this.deps.supervisors.list();
  }

  /** The supervisor behind a Telegram id, or null when they may not supervise (or have no phone to ring). */
  async acting(telegramId: string): Promise<ActingSupervisor | null> {
    const [listed, agent] = await Promise.all([this.deps.supervisors.byTelegramId(telegramId), this.deps.agents.byTelegramId(telegramId)]);
    const agentId = agent?.status === 'active' ? agent.id : null;
    if (listed) return { telegramId, phone: listed.phone, agentId };
    if (this.deps.config.telegram.superAdminIds.includes(telegramId) && agent?.phone) return { telegramId, phone: agent.phone, agentId };
    return null;
  }

  /** Listed, or a super admin: who may use `/live` at all (a super admin without a phone is told to add one). */
  async mayMonitor(telegramId: string): Promise<boolean> {
    return this.deps.config.telegram.superAdminIds.includes(telegramId) || (await this.deps.supervisors.byTelegramId(telegramId)) !== null;
  }
}
