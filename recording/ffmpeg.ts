import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** What ffmpeg said last on stderr, kept for the error: its final lines name the reason. */
const STDERR_TAIL = 2000;

/** ffmpeg could not be started: not installed, or FFMPEG_PATH names nothing runnable. */
export class FfmpegMissing extends Error {
  constructor(readonly ffmpegPath: string, cause: unknown) {
    super(
      `ffmpeg was not found at "${ffmpegPath}": call recording converts audio with it. Install Debian's ffmpeg `
      + '(apt-get install ffmpeg), set FFMPEG_PATH to the binary, or turn recording off (RECORDING_POLICY_M/RECORDING_POLICY_D=off)',
      { cause },
    );
    this.name = 'FfmpegMissing';
  }
}

/** A conversion that did not produce its output: the input is not audio ffmpeg reads, it ran too long, or its output was too large. */
export class ConversionFailed extends Error {
  /** No retry mends it: the same input fails the same way (a timeout may pass on a quieter machine). */
  readonly lasting: boolean;

  constructor(message: string, readonly reason: 'unreadable' | 'timeout' | 'too-large', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConversionFailed';
    this.lasting = reason !== 'timeout';
  }
}

export interface FfmpegRun {
  /** ffmpeg's arguments between the input (`-i <file>`) and the output file. */
  outputArgs: readonly string[];
  /** The output file's extension, which ffmpeg also reads the container from when no `-f` is given. */
  outputExtension: string;
  timeoutMs: number;
  /** An output larger than this is refused (the conversion is stopped as soon as it grows past it). */
  maxOutputBytes: number;
}

/**
 * Runs Debian's ffmpeg as a child process: the encoding happens outside the event loop, and a
 * conversion that hangs or misbehaves is killed without taking the service with it. Input and
 * output go through a private temporary folder: containers such as MP4 cannot be read from a pipe.
 */
export class Ffmpeg {
  constructor(readonly ffmpegPath = 'ffmpeg') {}

  /** Resolves when the binary runs; rejects with FfmpegMissing otherwise (a start-up check). */
  async check(): Promise<string> {
    const { code, stdout, error } = await this.spawnOnce(['-hide_banner', '-version'], 10_000);
    if (error || code !== 0) throw new FfmpegMissing(this.ffmpegPath, error ?? new Error(`ffmpeg -version exited with ${code}`));
    return stdout.split('\n')[0] ?? 'ffmpeg';
  }

  /** Converts `input` (an audio file of any container ffmpeg reads) by `run`'s arguments. */
  async convert(input: Buffer, run: FfmpegRun): Promise<Buffer> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'callbot-ffmpeg-'));
    try {
      const inputFile = path.join(dir, 'input');
      const outputFile = path.join(dir, `output.${run.outputExtension}`);
      await fs.writeFile(inputFile, input);
      const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-i', inputFile, ...run.outputArgs, '-fs', String(run.maxOutputBytes + 1), outputFile];
      const { code, stderr, error, timedOut } = await this.spawnOnce(args, run.timeoutMs);
      if (error) throw new FfmpegMissing(this.ffmpegPath, error);
      if (timedOut) throw new ConversionFailed(`ffmpeg did not finish within ${run.timeoutMs} ms`, 'timeout');
      if (code !== 0) throw new ConversionFailed(`ffmpeg could not convert the audio: ${lastLine(stderr)}`, 'unreadable', { cause: new Error(stderr) });
      const output = await fs.readFile(outputFile).catch((err: unknown) => {
        throw new ConversionFailed('ffmpeg wrote no output', 'unreadable', { cause: err });
      });
      if (output.length === 0) throw new ConversionFailed('ffmpeg wrote an empty output: the input holds no audio', 'unreadable');
      if (output.length > run.maxOutputBytes) throw new ConversionFailed(`the converted audio is larger than ${run.maxOutputBytes} bytes`, 'too-large');
      return output;
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }

  private spawnOnce(args: readonly string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string; error?: Error; timedOut: boolean }> {
    return new Promise((resolve) => {
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      let spawnError: Error | undefined;
      const child = spawn(this.ffmpegPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.stdout.on('data', (chunk: Buffer) => {
        stdout = (stdout + chunk.toString()).slice(-STDERR_TAIL);
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL);
      });
      child.on('error', (err) => {
        spawnError = err;
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr, timedOut, ...(spawnError ? { error: spawnError } : {}) });
      });
    });
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1)?.trim() || 'no reason given';
}
