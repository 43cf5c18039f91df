/** The parent's side of the simulator's child process (sim-process.ts): commands over IPC. */
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';

import type { LegBehaviour, SimCommand, SimMarks, SimMessage, SimResult } from './sim-protocol';
import { sleep } from './sleep';

export class SimProcess {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: SimResult) => void; reject: (e: Error) => void }>();

  private constructor(private readonly child: ChildProcess, readonly url: string, readonly username: string, readonly password: string) {
    child.on('message', (m: SimMessage) => {
      if (m.kind === 'ready') return;
      const waiter = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.kind === 'reply') waiter?.resolve(m.result);
      else waiter?.reject(new Error(`simulator: ${m.message}`));
    });
    child.on('exit', (code) => {
      for (const w of this.pending.values()) w.reject(new Error(`simulator process exited (${String(code)})`));
      this.pending.clear();
    });
  }

  static start(): Promise<SimProcess> {
    const ext = path.extname(__filename);
    const child = fork(path.join(__dirname, `sim-process${ext}`), [], {
      execArgv: [...(ext === '.ts' ? ['-r', 'ts-node/register/transpile-only'] : []), ...(process.env.SIM_NODE_ARGS ?? '').split(' ').filter(Boolean)],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`simulator process exited (${String(code)}) before it was ready`));
      child.once('exit', onExit);
      child.once('message', (m: SimMessage) => {
        child.off('exit', onExit);
        if (m.kind === 'ready') resolve(new SimProcess(child, m.url, m.username, m.password));
        else reject(new Error(`simulator sent ${m.kind} before ready`));
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  request(command: SimCommand): Promise<SimResult> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, command });
    });
  }

  async marks(): Promise<SimMarks> {
    const r = await this.request({ kind: 'marks' });
    if (r.kind !== 'marks') throw new Error(`simulator answered ${r.kind} to marks`);
    return r.marks;
  }

  async farEnd(agent: LegBehaviour, target: LegBehaviour): Promise<void> {
    await this.request({ kind: 'far-end', agent, target });
  }

  async channelCount(): Promise<number> {
    const r = await this.request({ kind: 'channel-count' });
    return r.kind === 'channel-count' ? r.count : Number.NaN;
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.child.exitCode !== null) resolve();
      else this.child.once('exit', () => resolve());
    });
    await this.request({ kind: 'stop' }).catch(() => undefined);
    await Promise.race([exited, sleep(3000)]);
    if (this.child.exitCode === null) this.child.kill();
  }
}
