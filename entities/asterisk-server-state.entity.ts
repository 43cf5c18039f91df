import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Several instances (cluster mode): what the owner of one Asterisk server last said of it, so that
 * every instance can place calls on a server it does not own. Written only under the server's lease.
 */
@Entity('asterisk_servers')
export class AsteriskServerState {
  /** The id the configuration gives the server (ASTERISK_SERVERS). */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  /** Whether the owner's ARI WebSocket is connected. */
  @Column({ type: 'boolean' })
  connected!: boolean;

  /** Milliseconds since the epoch by the database's clock: when `connected` last changed. */
  @Column({ type: 'bigint' })
  changedAt!: string;
}
