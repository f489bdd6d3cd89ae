import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';

/** Why a file could not be read, said in a few words for a config problem (never its content). */
export type ReadFailure = { ok: false; reason: string };

/**
 * Reads a text file of at most `maxBytes`. `readFileSync` reads until end of file, which never comes for
 * `/dev/zero` or `/dev/urandom` (check-config hung, then ran out of memory): this stops one byte past the cap.
 * `regularOnly` refuses devices, directories and pipes (secrets are always plain files, Docker's and Kubernetes'
 * included: a symlink to one is followed); without it a pipe is read (`--config <(envsubst < tocsin.yaml)`).
 */
export function readTextCapped(path: string, maxBytes: number, opts: { regularOnly: boolean }): { ok: true; text: string } | ReadFailure {
  let fd: number;
  try {
    // Opening a pipe waits for a writer: look before opening when only a plain file will do.
    if (opts.regularOnly && !statSync(path).isFile()) return { ok: false, reason: statSync(path).isDirectory() ? 'it is a directory' : 'not a regular file' };
    fd = openSync(path, 'r');
  } catch (e) {
    return { ok: false, reason: (e as NodeJS.ErrnoException).code ?? 'cannot open' };
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) return { ok: false, reason: 'it is a directory' };
    if (!st.isFile() && (opts.regularOnly || !st.isFIFO())) return { ok: false, reason: 'not a regular file' };
    if (st.isFile() && st.size > maxBytes) return { ok: false, reason: `larger than ${maxBytes} bytes` };
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(64 * 1024, maxBytes + 1 - total));
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
      // A file that grew since fstat, or a pipe: one byte past the cap is enough to know.
      if (total > maxBytes) return { ok: false, reason: `larger than ${maxBytes} bytes` };
    }
    return { ok: true, text: Buffer.concat(chunks, total).toString('utf8') };
  } catch (e) {
    return { ok: false, reason: (e as NodeJS.ErrnoException).code ?? 'read error' };
  } finally {
    closeSync(fd);
  }
}
