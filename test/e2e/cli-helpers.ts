/** Runs the installed CLI entry point as a user would, for the cli*.e2e tests. */
import { spawn } from 'node:child_process';
import { BIN, ROOT } from '../harness.ts';

export interface CliRun {
  code: number | null;
  out: string;
  err: string;
}

/**
 * Runs `tocsin <args>` without blocking this process (the emulator in this process must keep answering meanwhile).
 * No config is picked up by accident and tables are not cut unless a test sets COLUMNS. A run past `timeoutMs` is
 * killed and reported, so a command that should have failed fast cannot hang the suite.
 */
export function tocsin(args: string[], env: Record<string, string> = {}, opts: { cwd?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, TOCSIN_CONFIG: '', TOCSIN_URL: '', TOCSIN_ADMIN_TOKEN: '', COLUMNS: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => {
      err += `\n[test] killed after ${opts.timeoutMs ?? 30_000} ms`;
      p.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

/** A usage or config mistake: exit 2, exactly one line on stderr, no stack trace, nothing on stdout. */
export function oneLineUsageError(r: CliRun): string {
  const lines = r.err.trimEnd().split('\n');
  if (r.code !== 2 || lines.length !== 1 || /\n\s+at /.test(r.err) || r.out !== '') {
    throw new Error(`expected exit 2 with one line on stderr, got exit ${r.code}:\nstderr: ${r.err}\nstdout: ${r.out}`);
  }
  return lines[0]!;
}
