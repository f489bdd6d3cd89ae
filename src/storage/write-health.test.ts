/** Readiness from a background write probe and the disk's free space: honest with no traffic, never waiting. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spaceThresholds, WriteHealth, type DiskSpace, type StorageTrouble } from './write-health.ts';

const MiB = 1024 * 1024;
const settle = () => new Promise((r) => setTimeout(r, 20));
/** The watcher works in the background: wait (bounded) until it has seen what the test changed. */
async function until(health: WriteHealth, want: (t: StorageTrouble | undefined) => boolean): Promise<StorageTrouble | undefined> {
  const deadline = Date.now() + 2000;
  for (;;) {
    const t = await health.current();
    if (want(t) || Date.now() > deadline) return t;
    await new Promise((r) => setTimeout(r, 5));
  }
}

function harness(space: DiskSpace) {
  const disk = { ...space };
  let trouble: StorageTrouble | undefined;
  let probes = 0;
  let failing: Error | undefined;
  const health = new WriteHealth({
    file: '/data/tocsin.db',
    everyMs: 30,
    troubledEveryMs: 10,
    diskSpace: async (dir) => (assert.equal(dir, '/data'), { ...disk }),
    writeTrouble: () => trouble,
    probe: async () => {
      probes++;
      if (failing) {
        trouble = { since: trouble?.since ?? 1, message: failing.message, lastFailure: 2 };
        throw failing;
      }
      trouble = undefined;
    },
  });
  return {
    health,
    disk,
    probes: () => probes,
    fail: (e: Error | undefined) => (failing = e),
  };
}

describe('WriteHealth', () => {
  it('thresholds: 5 % of a small disk, 64 MiB at most, ready again from twice as much', () => {
    assert.deepEqual(spaceThresholds(8 * MiB), { notReadyBelow: Math.floor(8 * MiB * 0.05), readyFrom: 2 * Math.floor(8 * MiB * 0.05) });
    assert.deepEqual(spaceThresholds(1000 * 1024 * MiB), { notReadyBelow: 64 * MiB, readyFrom: 128 * MiB });
  });

  it('a nearly full disk is not ready before any write fails, and does not flap at the line', async () => {
    const h = harness({ free: 100 * MiB, size: 1000 * MiB });
    assert.equal(await h.health.current(), undefined);
    h.disk.free = 40 * MiB;
    const low = await until(h.health, (t) => t !== undefined);
    assert.match(low?.message ?? '', /nearly full: 40\.0 MiB free of 1000\.0 MiB/);
    // Back above the line, not above the way back: still not ready.
    h.disk.free = 70 * MiB;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await h.health.current())?.since, low!.since);
    h.disk.free = 130 * MiB;
    assert.equal(await until(h.health, (t) => t === undefined), undefined);
    h.health.stop();
  });

  it('probes in the background with no traffic: a failing write shows, and clears by itself', async () => {
    const h = harness({ free: 500 * MiB, size: 1000 * MiB });
    await settle();
    assert.ok(h.probes() >= 1);
    h.fail(Object.assign(new Error('attempt to write a readonly database'), { code: 'SQLITE_READONLY' }));
    assert.match((await until(h.health, (t) => t !== undefined))?.message ?? '', /readonly/);
    h.fail(undefined);
    assert.equal(await until(h.health, (t) => t === undefined), undefined);
    h.health.stop();
    const after = h.probes();
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(h.probes(), after, 'stop() did not stop the probes');
  });

  it('stops watching when the probe fails for another reason (the database was closed)', async () => {
    const h = harness({ free: 500 * MiB, size: 1000 * MiB });
    await settle();
    h.fail(new Error('driver has already been destroyed'));
    await new Promise((r) => setTimeout(r, 80));
    const n = h.probes();
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(h.probes(), n);
  });

  it('both troubles are reported together', async () => {
    const h = harness({ free: 1 * MiB, size: 1000 * MiB });
    h.fail(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }));
    const t = await until(h.health, (x) => x?.message.includes(';') === true);
    assert.match(t?.message ?? '', /nearly full.*; database or disk is full/);
    h.health.stop();
  });
});
