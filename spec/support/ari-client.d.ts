/**
 * The part of ari-client 2.2.0 the simulator spec uses (connect, the event WebSocket, ping): it
 * proves the simulator speaks ARI to the client the product's owner named. The package ships no
 * types, so they are declared here by hand.
 */
declare module 'ari-client' {
  import { EventEmitter } from 'node:events';

  export interface AriClient extends EventEmitter {
    start(apps: string | string[]): Promise<void>;
    stop(): void;
    ping(): void;
  }

  export function connect(url: string, user: string, pass: string): Promise<AriClient>;
  const ari: { connect: typeof connect };
  export default ari;
}
