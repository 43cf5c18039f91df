/**
 * The business of the do-not-call list: adding, removing and checking numbers, marking a call's
 * customer, importing a file and exporting the list. Every change is written to the audit log
 * here, once and only when it happened, so no caller can forget it. Answers are facts; the bot
 * words them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config/config';
import type { AuditLog, CallStore, DncStore } from '../store';
import type { DncEntry } from '../store/dnc-store';
import { type DncImportCounts, type DncImportSummary, importDncLines } from './dnc-import';
import { dncLineReader } from './dnc-line';

export interface DncServiceDeps {
  dnc: DncStore;
  calls: Pick<CallStore, 'byId'>;
  audit: AuditLog;
  numbers: Pick<Config, 'defaultRegion'>;
}

/** Why a call's customer may not be marked by this agent: the call is unknown, not theirs, or not ended. */
export type MarkRefusal = 'unknown_call' | 'not_your_call' | 'not_ended';

export type ImportResult =
  | { ok: true; listingId: number; summary: DncImportSummary }
  /** The import stopped (a failed download or store, or the service stopping); what was stored so far stays. */
  | { ok: false; listingId: number; counts: DncImportCounts; error: unknown };

export interface ImportRequest {
  /** The file's name, the audit entry's subject. */
  name: string;
  reason: string;
  /** The file's lines; opened after the listing is made, so a failed download is audited as a failed import. */
  open: () => Promise<AsyncIterable<string>>;
  onProgress?: (counts: DncImportCounts) => void;
  signal?: AbortSignal;
}

export class DncService {
  constructor(private readonly deps: DncServiceDeps) {}

  lookup(e164: string): Promise<DncEntry | null> {
    return this.deps.dnc.lookup(e164);
  }

  /** An admin's /dnc add; `added` is false (and nothing audited) when the number was listed already. */
  async add(by: string, e164: string, reason: string): Promise<{ added: boolean; entry: DncEntry }> {
    const result = await this.deps.dnc.add(e164, { kind: 'admin', addedBy: by, reason });
    if (result.added) await this.audit(by, 'dnc_add', e164, reason);
    return result;
  }

  /** An admin's /dnc remove: the entry removed, or null (nothing audited) when the number was not listed. */
  async remove(by: string, e164: string): Promise<DncEntry | null> {
    const entry = await this.deps.dnc.remove(e164);
    if (entry) await this.audit(by, 'dnc_remove', e164, `listed ${entry.since.toISOString()} (${entry.kind} by ${entry.addedBy}${entry.reason ? `: ${entry.reason}` : ''})`);
    return entry;
  }

  /** Whether an agent may mark a call's customer: only their own call, once it has ended. */
  async markRefusal(callId: string, agentId: number | null): Promise<MarkRefusal | undefined> {
    const call = await this.deps.calls.byId(callId);
    if (!call || !call.target) return 'unknown_call';
    if (agentId === null || call.agentId !== agentId) return 'not_your_call';
    if (call.stage !== 'ended') return 'not_ended';
    return undefined;
  }

  /** The agent's "asked not to be called": lists the call's customer; undefined for an unknown call. */
  async markFromCall(by: string, callId: string, reason: string): Promise<{ number: string; added: boolean; entry: DncEntry } | undefined> {
    const call = await this.deps.calls.byId(callId);
    if (!call?.target) return undefined;
    const { added, entry } = await this.deps.dnc.add(call.target, { kind: 'agent', addedBy: by, reason, callId });
    if (added) await this.audit(by, 'dnc_mark', call.target, `call ${callId}: ${reason}`);
    return { number: call.target, added, entry };
  }

  /** A file's lines imported under one listing, audited as done or as failed with the counts so far. */
  async importFile(by: string, request: ImportRequest): Promise<ImportResult> {
    const { name, reason } = request;
    let counts: DncImportCounts = { lines: 0, added: 0, alreadyPresent: 0, invalid: 0 };
    const onProgress = (now: DncImportCounts) => {
      counts = now;
      request.onProgress?.(now);
    };
    const listingId = await this.deps.dnc.createListing({ kind: 'import', addedBy: by, reason });
    try {
      const lines = await request.open();
      const summary = await importDncLines(lines, this.deps.dnc, listingId, { reader: dncLineReader(this.deps.numbers.defaultRegion), onProgress, signal: request.signal });
      await this.audit(by, 'dnc_import', name, `listing ${listingId}: ${summary.added} added, ${summary.alreadyPresent} already present, ${summary.invalid} invalid of ${summary.lines} lines; ${reason}`);
      return { ok: true, listingId, summary };
    } catch (error) {
      await this.audit(by, 'dnc_import_failed', name, `listing ${listingId}: stopped after ${counts.lines} lines, ${counts.added} added; ${reason}`);
      return { ok: false, listingId, counts, error };
    }
  }

  /**
   * The whole list as a CSV file named `fileName`, written to a temporary folder page by page and
   * handed to `deliver` (true when it was delivered); 'empty' (nothing audited) when nothing is listed.
   */
  async exportCsv(by: string, fileName: string, deliver: (file: string, written: number) => Promise<boolean>): Promise<{ written: number; delivered: boolean } | 'empty'> {
    const { dnc } = this.deps;
    if (await dnc.count() === 0) return 'empty';
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'callbot-dnc-export-'));
    const file = path.join(dir, fileName);
    try {
      const stream = fs.createWriteStream(file);
      const write = (text: string) => new Promise<void>((resolve, reject) => stream.write(text, (err) => (err ? reject(err) : resolve())));
      await write('number,since,kind,added_by,reason\n');
      let written = 0;
      for await (const page of dnc.entries()) {
        await write(page.map((e) => `${e.number},${e.since.toISOString()},${e.kind},${e.addedBy},${csvField(e.reason)}\n`).join(''));
        written += page.length;
      }
      await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
      const delivered = await deliver(file, written);
      await this.audit(by, 'dnc_export', String(written), delivered ? '' : 'not delivered');
      return { written, delivered };
    } finally {
      await fs.promises.rm(dir, { recursive: true, force: true });
    }
  }

  private async audit(actor: string, action: string, subject: string, details = ''): Promise<void> {
    await this.deps.audit.record({ actor, action, subject, details });
  }
}

function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
