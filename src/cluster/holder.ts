import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { ulid } from 'ulid';

/**
 * Who holds a lease: `host:boot:pid:nonce`. The nonce makes every process start a new holder; host, boot id and pid
 * let a process on the same machine tell that a holder is dead (a crash then a restart, kill -9) and take its leases
 * at once instead of waiting for them to expire. Other machines' holders are only ever judged by expiry.
 */
export interface HolderId {
  host: string;
  boot: string;
  pid: number;
  nonce: string;
}

export function formatHolder(h: HolderId): string {
  return `${h.host}:${h.boot}:${h.pid}:${h.nonce}`;
}

export function parseHolder(s: string): HolderId | undefined {
  const m = /^([^:]*):([^:]*):(\d+):([^:]+)$/.exec(s);
  return m ? { host: m[1]!, boot: m[2]!, pid: Number(m[3]), nonce: m[4]! } : undefined;
}

/**
 * Whether `holder` is a process of this machine that no longer runs. `alive(pid)` asks the operating system. The
 * same pid as ours with another nonce is a previous life of this process (in a container tocsin is always pid 1).
 * Anything not provably dead counts as alive: waiting for the expiry is slow but always safe.
 */
export function holderGone(holder: string, me: HolderId, alive: (pid: number) => boolean): boolean {
  const h = parseHolder(holder);
  if (!h || h.host !== me.host || h.boot !== me.boot || !h.boot) return false;
  if (h.pid === me.pid) return h.nonce !== me.nonce;
  return !alive(h.pid);
}

/** The kernel's boot id: two machines (or one machine rebooted) never share it; containers of one host do. */
function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim().replace(/:/g, '');
  } catch {
    return '';
  }
}

export function thisProcess(): HolderId {
  return { host: hostname().replace(/:/g, '_'), boot: bootId(), pid: process.pid, nonce: ulid() };
}

/** Signal 0 checks a process exists without touching it; EPERM means it exists but belongs to someone else. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
