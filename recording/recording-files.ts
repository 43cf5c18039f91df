import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Where kept recordings live: one OGG/Opus file per call under RECORDING_DIR, a folder per month so
 * no folder grows without bound. Written to a temporary name and renamed, so a crash never leaves
 * half a file under a call's name.
 */
export class RecordingFiles {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = path.resolve(dir);
  }

  async save(callId: string, ogg: Buffer, at: Date): Promise<string> {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(callId)) throw new Error(`refusing to name a recording file after call id "${callId}"`);
    const month = at.toISOString().slice(0, 7);
    const folder = path.join(this.dir, month);
    await fs.mkdir(folder, { recursive: true });
    const file = path.join(folder, `${callId}.ogg`);
    const temporary = `${file}.${process.pid}.part`;
    await fs.writeFile(temporary, ogg);
    await fs.rename(temporary, file);
    return file;
  }

  read(file: string): Promise<Buffer> {
    return fs.readFile(file);
  }

  /** Removes a kept file; one already gone counts as removed. */
  async remove(file: string): Promise<void> {
    await fs.rm(file, { force: true });
  }
}
