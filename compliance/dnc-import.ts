import type { DncStore } from '../store/dnc-store';
import type { DncLineReader } from './dnc-line';

/** What an import did so far (and, at the end, in all). */
export interface DncImportCounts {
  lines: number;
  added: number;
  alreadyPresent: number;
  invalid: number;
}

export interface DncImportSummary extends DncImportCounts {
  /** The first invalid lines' numbers (1-based), at most `maxListedInvalid`. */
  invalidLines: number[];
}

export interface DncImportOptions {
  reader: DncLineReader;
  /** Numbers per INSERT statement. */
  batchSize?: number;
  maxListedInvalid?: number;
  /** Told after every batch is stored. */
  onProgress?: (counts: DncImportCounts) => void;
  /** Stops the import (the service is stopping): it rejects with the signal's reason, the batches stored so far stay. */
  signal?: AbortSignal;
}

const DEFAULT_BATCH = 10_000;
const DEFAULT_LISTED_INVALID = 20;

/**
 * Streams lines into the do-not-call list under one listing, a batch per statement. The next batch
 * is read and parsed while the previous one is being written, so parsing and the database overlap;
 * memory holds two batches whatever the file's size. A number seen twice in the file counts as
 * already present the second time.
 */
export async function importDncLines(lines: AsyncIterable<string>, store: DncStore, listingId: number, options: DncImportOptions): Promise<DncImportSummary> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  const maxListed = options.maxListedInvalid ?? DEFAULT_LISTED_INVALID;
  const counts: DncImportCounts = { lines: 0, added: 0, alreadyPresent: 0, invalid: 0 };
  const invalidLines: number[] = [];
  let writing: Promise<void> = Promise.resolve();
  let batch: number[] = [];

  const flush = async (): Promise<void> => {
    // In key order, each batch's inserts walk the B-tree once instead of jumping around it.
    const keys = Float64Array.from(batch).sort();
    batch = [];
    await writing;
    writing = store.addMany(Array.from(keys), listingId).then((added) => {
      counts.added += added;
      counts.alreadyPresent += keys.length - added;
      options.onProgress?.({ ...counts });
    });
    // A failed write must stop the import rather than surface later unobserved.
    writing.catch(() => undefined);
  };

  for await (const line of lines) {
    options.signal?.throwIfAborted();
    counts.lines += 1;
    const read = options.reader.read(line, counts.lines);
    if (read.kind === 'number') {
      batch.push(read.key);
      if (batch.length >= batchSize) await flush();
    } else if (read.kind === 'invalid') {
      counts.invalid += 1;
      if (invalidLines.length < maxListed) invalidLines.push(counts.lines);
    }
  }
  // An aborted download may end the lines early rather than fail them.
  options.signal?.throwIfAborted();
  if (batch.length > 0) await flush();
  await writing;
  return { ...counts, invalidLines };
}
