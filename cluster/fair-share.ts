import type { Logger } from '../config/logger';
import { Lease } from './lease';
import type { LeaseStore } from './lease-store';

/** Every running instance holds a lease under this prefix: how the others count it. */
export const INSTANCE_LEASE_PREFIX = 'instance:';

/**
 * An instance that could not reach a server's ARI holds `away:<server>:<instance>` for a while (it
 * lapses on its own): the others see which of them may still reach the server.
 */
export const AWAY_LEASE_PREFIX = 'away:';

/** What the share needs of each server's owner on this instance. */
export interface ShareOfServers {
  readonly serverId: string;
  isOwner(): boolean;
  liveCalls(): number;
  handBack(): Promise<void>;
}

export interface FairShareDeps {
  leases: Pick<LeaseStore, 'acquire' | 'renew' | 'release' | 'countHeld' | 'heldNames'>;
  instanceId: string;
  ttlMs: number;
  serverCount: number;
  /** This instance's side of every server. */
  servers: () => readonly ShareOfServers[];
  logger: Logger;
}

/**
 * Spreads the Asterisk servers over the running instances: an instance takes another server only
 * while it holds fewer than its share (the servers divided by the instances alive, rounded up),
 * and one holding more hands one back, the one with the fewest live calls, which its next owner
 * takes over like any other. So a second instance started beside the first gets half the servers,
 * and no instance is left running every call while the others idle.
 *
 * A server that another instance could not reach lately is outside the share: any instance may
 * take it, it does not count towards the share of the one holding it, and it is never the one
 * handed back to even the share out (that would hand it to the instance that cannot reach it).
 */
export class FairShare {
  private readonly presence: Lease;
  private timer?: NodeJS.Timeout;
  private balancing = false;

  constructor(private readonly deps: FairShareDeps) {
    this.presence = new Lease(deps.leases, { name: `${INSTANCE_LEASE_PREFIX}${deps.instanceId}`, holder: deps.instanceId, ttlMs: deps.ttlMs });
  }

  start(): void {
    this.presence.start();
    this.timer = setInterval(() => void this.balance(), this.deps.ttlMs / 3);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.presence.stop();
  }

  /** Whether this instance may take the server now. */
  async mayTake(serverId: string): Promise<boolean> {
    const outside = await this.unreachableElsewhere();
    if (outside.has(serverId)) return true;
    const held = this.deps.servers().filter((s) => s.isOwner() && !outside.has(s.serverId)).length;
    return held < await this.share();
  }

  /** Says, for `ms`, that this instance cannot reach the server, so that the others try it. */
  async markAway(serverId: string, ms: number): Promise<void> {
    await this.deps.leases.acquire(`${AWAY_LEASE_PREFIX}${serverId}:${this.deps.instanceId}`, this.deps.instanceId, ms);
  }

  /** How many other instances are alive and have not found the server unreachable lately: the ones that may still reach it. */
  async othersToTry(serverId: string): Promise<number> {
    const [alive, away] = await Promise.all([this.deps.leases.heldNames(INSTANCE_LEASE_PREFIX), this.awayMarks()]);
    const tried = new Set(away.filter((m) => m.serverId === serverId).map((m) => m.instanceId));
    return alive.map((name) => name.slice(INSTANCE_LEASE_PREFIX.length)).filter((id) => id !== this.deps.instanceId && !tried.has(id)).length;
  }

  /** The servers another instance could not reach lately. */
  private async unreachableElsewhere(): Promise<Set<string>> {
    return new Set((await this.awayMarks()).filter((m) => m.instanceId !== this.deps.instanceId).map((m) => m.serverId));
  }

  /** Server ids have no `:` (cluster-settings.ts); instance ids may. */
  private async awayMarks(): Promise<{ serverId: string; instanceId: string }[]> {
    return (await this.deps.leases.heldNames(AWAY_LEASE_PREFIX)).map((name) => {
      const rest = name.slice(AWAY_LEASE_PREFIX.length);
      const colon = rest.indexOf(':');
      return { serverId: rest.slice(0, colon), instanceId: rest.slice(colon + 1) };
    });
  }

  private async share(): Promise<number> {
    const alive = Math.max(1, await this.deps.leases.countHeld(INSTANCE_LEASE_PREFIX));
    return Math.ceil(this.deps.serverCount / alive);
  }

  /** One server handed back per round at most: the others see the change before the next. */
  private async balance(): Promise<void> {
    if (this.balancing) return;
    this.balancing = true;
    try {
      const outside = await this.unreachableElsewhere();
      const owned = this.deps.servers().filter((s) => s.isOwner() && !outside.has(s.serverId));
      const share = await this.share();
      if (owned.length <= share) return;
      const least = [...owned].sort((a, b) => a.liveCalls() - b.liveCalls())[0]!;
      this.deps.logger.info('handing a server to an instance that holds fewer', { held: owned.length, share });
      await least.handBack();
    } catch (err) {
      this.deps.logger.warn('cannot share the servers out this round; trying again', { err });
    } finally {
      this.balancing = false;
    }
  }
}
