/**
 * The part of ari-client 2.2.0 the adapter uses. The package ships no types; its REST methods are
 * generated at connect time from Asterisk's swagger documents, so they are declared here by hand.
 */
declare module 'ari-client' {
  import { EventEmitter } from 'node:events';

  type Params = Record<string, string | number | boolean | undefined>;
  type Operation<R = unknown> = (params?: Params) => Promise<R>;

  interface RawChannel { id: string; state: string; dialplan?: { app_name?: string; app_data?: string } }
  interface RawBridge { id: string; channels: string[] }

  export interface AriClient extends EventEmitter {
    channels: {
      originate: Operation; create: Operation; dial: Operation; hangup: Operation; play: Operation;
      get: Operation<RawChannel>; list: Operation<RawChannel[]>;
    };
    bridges: {
      create: Operation; addChannel: Operation; destroy: Operation;
      get: Operation<RawBridge>; list: Operation<RawBridge[]>;
    };
    playbacks: { stop: Operation };
    start(apps: string | string[]): Promise<void>;
    stop(): void;
    ping(): void;
  }

  export function connect(url: string, user: string, pass: string): Promise<AriClient>;
  const ari: { connect: typeof connect };
  export default ari;
}
