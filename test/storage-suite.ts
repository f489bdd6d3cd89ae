/**
 * What the storage-fault suites share (faults-storage and storage-waits): one emulator, a gateway config with the
 * limits lifted and a fast poll, tocsin processes killed and test disks unmounted when the suite ends.
 */
import { after } from 'node:test';
import { unmountAll } from './disks.ts';
import { Emulator, freePort, gatewayConfig, startTocsin, writeConfig, type TocsinProcess } from './harness.ts';

export interface StorageSuite {
  /** Starts the suite's emulator (once): await it in the file's `before` hook. */
  begin(): Promise<Emulator>;
  /** The emulator, once `begin()` resolved. */
  readonly emu: Emulator;
  /** Every tocsin started by the suite (pushed by hand for those started otherwise): SIGKILLed at the end. */
  readonly running: TocsinProcess[];
  config(dir: string, port: number): ReturnType<typeof gatewayConfig>;
  start(dir: string, output?: string[]): Promise<TocsinProcess>;
}

/** Registers the suite's `after` hook; call it at the top level of a test file. */
export function storageSuite(): StorageSuite {
  let emu: Emulator | undefined;
  let starting: Promise<Emulator> | undefined;
  const running: TocsinProcess[] = [];
  after(async () => {
    for (const t of running) await t.kill('SIGKILL');
    await emu?.close();
    unmountAll();
  });
  const suite: StorageSuite = {
    begin: () => (starting ??= Emulator.start().then((e) => (emu = e))),
    get emu() {
      if (!emu) throw new Error('the storage suite has not begun: await suite.begin() in a before hook');
      return emu;
    },
    running,
    config: (dir, port) =>
      gatewayConfig(suite.emu, dir, port, {
        destinations: {
          oncall: {
            type: 'incident_io_alert_source',
            alert_source_config_id: suite.emu.source.id,
            token: suite.emu.source.token,
            base_url: suite.emu.url,
            rate_limit_per_minute: 6000,
            rate_limit_burst: 100,
          },
        },
        delivery: { poll_interval: '100ms', concurrency: 16 },
      }),
    async start(dir, output = []) {
      const port = await freePort();
      const t = await startTocsin(writeConfig(dir, suite.config(dir, port)), { port, output });
      running.push(t);
      return t;
    },
  };
  return suite;
}
