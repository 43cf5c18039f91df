import http from 'node:http';
import net from 'node:net';

/** What came back for a request: its status, or that the connection ended without one. */
export type RawAnswer = { status: number } | { status: 'none' };

/**
 * Sends a request's head and the first bytes of its body, then waits (at most `timeoutMs`) for the
 * status line without sending the rest: how a sender that declares a large body, or trickles it,
 * looks to the server. `bodyStart: null` sends the head without the blank line that ends it.
 */
export function sendHeadAndWait(port: number, head: string, bodyStart: string | null, timeoutMs = 5000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    const done = (answer: RawAnswer) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done({ status: 'none' }), timeoutMs);
    const lines = head.replace(/\n/g, '\r\n');
    socket.on('connect', () => socket.write(bodyStart === null ? lines : `${lines}\r\n\r\n${bodyStart}`));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(received);
      if (status) done({ status: Number(status[1]) });
    });
    socket.on('end', () => done({ status: 'none' }));
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/**
 * Streams a chunked body in 64 KiB pieces, up to `maxBytes`, until the server answers; resolves
 * with the status and how much was sent before it.
 */
export function streamUntilAnswered(url: string, headers: Record<string, string>, maxBytes: number): Promise<{ status: number; sentBytes: number }> {
  return new Promise((resolve, reject) => {
    const piece = Buffer.alloc(64 * 1024, 0x20);
    let sentBytes = 0;
    let answered = false;
    const req = http.request(url, { method: 'POST', headers: { ...headers, 'transfer-encoding': 'chunked' } });
    req.on('response', (res) => {
      answered = true;
      res.resume();
      resolve({ status: res.statusCode ?? 0, sentBytes });
    });
    // Writing on after the server has answered and closed ends in EPIPE or a reset: expected then.
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    const writeMore = () => {
      while (!answered && sentBytes < maxBytes) {
        sentBytes += piece.length;
        if (!req.write(piece)) return void req.once('drain', writeMore);
      }
      if (!answered) req.end();
    };
    writeMore();
  });
}
