import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { storageUnavailable } from './unavailable.ts';

/** Why storage takes no writes, since when (epoch ms). */
export interface StorageTrouble {
  since: number;
  message: string;
  /** The latest failed write (or low-space reading). */
  lastFailure: number;
}

export interface DiskSpace {
  /** Bytes an unprivileged writer may still use. */
  free: number;
  size: number;
}

export interface WriteHealthOptions {
  /** A small real write; rejects when storage takes none (and then `writeTrouble` says why). */
  probe(): Promise<void>;
  /** What writes have met lately: set by a failed write, cleared by a successful probe. */
  writeTrouble(): StorageTrouble | undefined;
  /** The database file, whose filesystem's free space is watched; undefined in memory. */
  file: string | undefined;
  /** Probe this often while writes work, and while they fail. */
  everyMs?: number;
  troubledEveryMs?: number;
  diskSpace?: (dir: string) => Promise<DiskSpace>;
  now?: () => number;
}

const MiB = 1024 * 1024;

/**
 * Below this much free space the disk counts as full for readiness, before writes fail: a load balancer can move
 * traffic away while tocsin still stores what it gets. 5 % of a small disk, at most 64 MiB (the WAL and its
 * checkpoint need room). Ready again only from twice as much, so a disk hovering at the line does not flap.
 */
export function spaceThresholds(size: number): { notReadyBelow: number; readyFrom: number } {
  const notReadyBelow = Math.min(64 * MiB, Math.floor(size * 0.05));
  return { notReadyBelow, readyFrom: notReadyBelow * 2 };
}

async function statDisk(dir: string): Promise<DiskSpace> {
  const s = await statfs(dir);
  return { free: s.bavail * s.bsize, size: s.blocks * s.bsize };
}

const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;

/**
 * Readiness that is honest with no traffic and never waits on the database: a background loop writes a probe every
 * few seconds (through the group commit, so it waits for a lock asynchronously like any job) and reads the free
 * space of the database's filesystem; `current()` answers from what the loop last saw. Timers are unref'd.
 */
export class WriteHealth {
  private lowSpace: StorageTrouble | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private probing = false;
  private readonly firstLook: Promise<void>;
  private readonly now: () => number;
  private readonly diskSpace: (dir: string) => Promise<DiskSpace>;

  constructor(private readonly o: WriteHealthOptions) {
    this.now = o.now ?? Date.now;
    this.diskSpace = o.diskSpace ?? statDisk;
    this.firstLook = this.readDisk();
    void this.tick();
  }

  /** Undefined when tocsin can write; otherwise why not. The first call waits for one free-space reading. */
  async current(): Promise<StorageTrouble | undefined> {
    await this.firstLook;
    const write = this.o.writeTrouble();
    const disk = this.lowSpace;
    if (!write || !disk) return write ?? disk;
    return { since: Math.min(write.since, disk.since), message: `${disk.message}; ${write.message}`, lastFailure: Math.max(write.lastFailure, disk.lastFailure) };
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async tick(): Promise<void> {
    await Promise.all([this.readDisk(), this.probe()]);
    if (this.stopped) return;
    const troubled = this.o.writeTrouble() !== undefined || this.lowSpace !== undefined;
    this.timer = setTimeout(() => void this.tick(), troubled ? (this.o.troubledEveryMs ?? 1000) : (this.o.everyMs ?? 2000));
    this.timer.unref();
  }

  private async probe(): Promise<void> {
    if (this.probing || this.stopped) return;
    this.probing = true;
    try {
      await this.o.probe();
    } catch (e) {
      // Anything but a storage outage (the database closed at shutdown, a bug) ends the watching.
      if (!storageUnavailable(e)) this.stop();
    } finally {
      this.probing = false;
    }
  }

  private async readDisk(): Promise<void> {
    if (!this.o.file) return;
    let space: DiskSpace;
    try {
      space = await this.diskSpace(dirname(this.o.file));
    } catch {
      // Not knowing the free space is not a reason to refuse traffic: the probe write still tells.
      return;
    }
    const { notReadyBelow, readyFrom } = spaceThresholds(space.size);
    const now = this.now();
    if (space.free < notReadyBelow || (this.lowSpace && space.free < readyFrom)) {
      const message = `the disk holding the database is nearly full: ${mib(space.free)} free of ${mib(space.size)} (ready again from ${mib(readyFrom)} free)`;
      this.lowSpace = { since: this.lowSpace?.since ?? now, message, lastFailure: now };
    } else this.lowSpace = undefined;
  }
}
