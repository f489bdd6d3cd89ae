/**
 * Real disk faults for end-to-end tests (we run as root): a small tmpfs that fills up, read-only mounts, and an
 * ext4 image on a loop device whose files can be made immutable while tocsin holds them open (a tmpfs or a
 * remount cannot do that: the kernel refuses to remount read-only while files are open for writing).
 * Outside CI a machine that cannot mount skips these tests, saying why; under CI=true they must run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './harness.ts';

const mounted: string[] = [];
const images: string[] = [];

const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'pipe' });

function must(cmd: string, args: string[]): void {
  const r = run(cmd, args);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${String(r.stderr).trim() || r.error?.message}`);
}

/** A tmpfs of `kb` KiB. */
export function smallDisk(kb: number): string {
  const dir = tempDir('tocsin-disk-');
  must('mount', ['-t', 'tmpfs', '-o', `size=${kb}k`, 'tmpfs', dir]);
  mounted.push(dir);
  return dir;
}

/** An ext4 filesystem of `mb` MiB on a loop device (supports `chattr +i` on open files). */
export function ext4Disk(mb: number): string {
  const image = join(tempDir('tocsin-img-'), 'disk.img');
  images.push(image);
  must('truncate', ['-s', `${mb}M`, image]);
  must('mkfs.ext4', ['-q', '-F', image]);
  const dir = tempDir('tocsin-ext4-');
  must('mount', ['-o', 'loop', image, dir]);
  mounted.push(dir);
  return dir;
}

/** Why these tests cannot run here, or false. Under CI=true always false: there a failure to mount is a failure. */
export const cannotMount: false | string = (() => {
  if (process.env.CI === 'true') return false;
  try {
    smallDisk(64);
    ext4Disk(8);
    return false;
  } catch (e) {
    return `cannot mount test disks here (needs root, tmpfs and loop devices): ${(e as Error).message}`;
  } finally {
    unmountAll();
  }
})();

export function unmountAll(): void {
  for (const dir of mounted.splice(0).reverse()) {
    for (const f of ['tocsin.db', 'tocsin.db-wal', 'tocsin.db-shm']) run('chattr', ['-i', join(dir, f)]);
    if (run('umount', [dir]).status !== 0) run('umount', ['-l', dir]);
  }
  for (const image of images.splice(0)) rmSync(image, { force: true });
}

/** Fills the disk to the last block (`leaveKb` KiB left free, roughly). */
export function fill(dir: string, leaveKb = 0): void {
  rmSync(join(dir, 'filler'), { force: true });
  const s = statfsSync(dir);
  const freeKb = Math.floor((s.bavail * s.bsize) / 1024);
  const kb = Math.max(0, freeKb - leaveKb);
  if (leaveKb === 0) spawnSync('dd', ['if=/dev/zero', `of=${join(dir, 'filler')}`, 'bs=4k'], { stdio: 'ignore' });
  else spawnSync('dd', ['if=/dev/zero', `of=${join(dir, 'filler')}`, 'bs=1k', `count=${kb}`], { stdio: 'ignore' });
}

export const freeSpace = (dir: string) => rmSync(join(dir, 'filler'), { force: true });

/** Remounts a mount read-only or read-write (only possible while no file on it is open for writing). */
export function remount(dir: string, mode: 'ro' | 'rw'): void {
  execFileSync('mount', ['-o', `remount,${mode}`, dir]);
}

/** Makes files immutable (writes through already-open descriptors fail with EPERM on ext4), or writable again. */
export function immutable(paths: string[], on: boolean): void {
  execFileSync('chattr', [on ? '+i' : '-i', ...paths]);
}
