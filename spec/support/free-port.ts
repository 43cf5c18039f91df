import { readFileSync } from 'node:fs';
import net from 'node:net';

/** Where ports are picked from: above the well-known services, below the kernel's ephemeral range. */
const FLOOR = 10_000;
const SLICES = 8;

/**
 * The first port of the kernel's ephemeral range, from which it gives outgoing connections their
 * local ports (and `listen(0)` its ports): a port picked there may be taken by any connection
 * between the probe and the server's own listen.
 */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > FLOOR + 1000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

const ceiling = ephemeralLow();
const sliceSize = Math.floor((ceiling - FLOOR) / SLICES);
/** Each jest worker (or other process) walks its own slice, so two never probe the same port at once. */
const slice = (Number(process.env.JEST_WORKER_ID ?? process.pid) || process.pid) % SLICES;
let next = FLOOR + slice * sliceSize + Math.floor(Math.random() * sliceSize);

function probe(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/**
 * A TCP port free on `host` right now, for a server that cannot listen on port 0 and say which
 * port it got (telegram-test-api, a process started with the port in its environment). Picked
 * below the ephemeral range, so no outgoing connection takes it before that server listens.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const start = FLOOR + slice * sliceSize;
  for (let tries = 0; tries < sliceSize; tries += 1) {
    const port = next;
    next = next + 1 >= start + sliceSize ? start : next + 1;
    if (await probe(port, host)) return port;
  }
  throw new Error(`no free port on ${host} between ${start} and ${start + sliceSize - 1}: too many servers left listening?`);
}
