/**
 * A server-sent event stream read as the Mini App's page reads it (EventSource): every `data:` event
 * parsed and kept, in order, until closed. Specs wait on `events` with waitFor.
 */
export class EventStreamReader<T> {
  readonly events: T[] = [];
  private readonly abort = new AbortController();
  private readonly done: Promise<void>;

  private constructor(response: Response) {
    this.done = this.read(response);
  }

  /** Opens the stream; throws unless the server answers 200 with an event stream. */
  static async open<T>(url: string): Promise<EventStreamReader<T>> {
    const abort = new AbortController();
    const response = await fetch(url, { signal: abort.signal, headers: { accept: 'text/event-stream' } });
    if (response.status !== 200 || !response.body) throw new Error(`the event stream at ${url} answered ${response.status}: ${await response.text()}`);
    const reader = new EventStreamReader<T>(response);
    reader.abort.signal.addEventListener('abort', () => abort.abort());
    return reader;
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.done;
  }

  private async read(response: Response): Promise<void> {
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffered += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const data = block.split('\n').filter((line) => line.startsWith('data: ')).map((line) => line.slice(6)).join('\n');
          if (data) this.events.push(JSON.parse(data) as T);
        }
      }
    } catch (err) {
      if (!this.abort.signal.aborted) throw err;
    }
  }
}
