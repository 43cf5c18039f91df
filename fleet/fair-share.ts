import type { Logger } from '../config/logger';
import { Lease } from '../cluster/lease';
import type { LeaseStore } from '../cluster/lease-store';

/** Every running instance holds a lease under this prefix: how the others count it. */
export const INSTANCE_LEASE_PREFIX = 'instance:';

/** What the share needs of each server's owner on this instance. */
export interface ShareOfServers {
  isOwner(): boolean;
  liveCalls(): number;
  handBack(): Promise<void>;
}

export interface FairShareDeps {
  leases: Pick<LeaseStore, 'acquire' | 'renew' | 'release' | 'countHeld'>;
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

  /** Whether this instance may take one more server now. */
  async mayTakeAnother(): Promise<boolean> {
    const held = this.deps.servers().filter((s) => s.isOwner()).length;
    return held < await this.share();
  }

  /** Whether another instance is alive, by its presence lease: one to hand a server to. */
  async othersAlive(): Promise<boolean> {
    return await this.deps.leases.countHeld(INSTANCE_LEASE_PREFIX) > 1;
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
      const owned = this.deps.servers().filter((s) => s.isOwner());
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
