/**
 * The load generator of `npm run bench:cluster`, and what it reads from /proc. A target is one or more tocsin
 * instances; requests go round robin over them, as a load balancer in front of a cluster would send them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Pool } from 'undici';
import { APP_TOKEN } from '../test/harness.ts';

/** Linux reports process CPU time in clock ticks of 1/100 s. */
const US_PER_TICK = 10_000;

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces): index 0 is field 3 of proc(5). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined; // the process ended meanwhile
  }
}

/** CPU time a process has used (user + system), in µs. */
export function cpuUs(pid: number): number {
  const f = statFields(pid);
  return f ? (Number(f[11]) + Number(f[12])) * US_PER_TICK : 0;
}

/**
 * CPU time of a server and every process it forked, in µs: PostgreSQL runs each connection in a backend process of
 * its own. A backend that ended was reaped by the postmaster, so its time is in the postmaster's cutime/cstime.
 */
export function treeCpuUs(rootPid: number): number {
  const root = statFields(rootPid);
  if (!root) return 0;
  let ticks = Number(root[11]) + Number(root[12]) + Number(root[13]) + Number(root[14]);
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(Number(name));
    if (f && Number(f[1]) === rootPid) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks * US_PER_TICK;
}

/** CPU time of this process so far (user + system), in µs: the load generator and the in-process emulator. */
export function ownCpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Busy and total jiffies of the whole machine (every core, everyone's work), from /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const [, ...n] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  const total = n.reduce((a, b) => a + b, 0);
  // idle (4th) and iowait (5th) are time no process ran on a core.
  return { busy: total - n[3]! - n[4]!, total };
}

export interface Target {
  name: string;
  urls: string[];
  /** The tocsin processes, whose CPU time a run reads. */
  pids: number[];
  /** The database server's CPU time (µs) so far, when it is a process of its own. */
  dbCpuUs?: () => number;
}

export interface LoadResult {
  /** Alerts answered 202, and the run's length in seconds. */
  alerts: number;
  seconds: number;
  alertsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  tocsinCpuUsPerAlert: number;
  dbCpuUsPerAlert: number;
  /** The load generator's own CPU, in % of one core. */
  loadgenCpuPct: number;
  /** The machine's cores busy, in % of all of them (other people's work included). */
  machineBusyPct: number;
  /** What processes not of this benchmark used meanwhile, in % of all cores: the noise on a shared machine. */
  otherWorkPct: number;
  errors: number;
  firstError: string;
}

let seq = 0;
/** A new alert every time (a new dedup key), in tocsin's native shape. */
const alert = () => {
  const n = seq++;
  return { title: `Bench alert ${n}`, dedup_key: `bench-${process.pid}-${n}`, severity: ['critical', 'error', 'warning', 'info'][n % 4], metadata: { service: 'bench', n } };
};

const quantile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;

/**
 * Closed loop: `connections` requests in flight for `seconds`, each to the next instance in turn. `benchCpuUs`: the
 * CPU time (µs) of every process of this benchmark (all servers, idle or not, and this process), to tell the
 * machine's other work apart.
 */
export async function load(t: Target, perRequest: number, seconds: number, connections: number, benchCpuUs: () => number): Promise<LoadResult> {
  const pools = t.urls.map((u) => new Pool(u, { connections, pipelining: 1 }));
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${APP_TOKEN}` };
  const times: number[] = [];
  let requests = 0;
  let errors = 0;
  let firstError = '';
  let next = 0;
  const cpu0 = t.pids.reduce((s, p) => s + cpuUs(p), 0);
  const db0 = t.dbCpuUs?.() ?? 0;
  const own0 = process.cpuUsage();
  const bench0 = benchCpuUs();
  const m0 = machineTicks();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) {
        const alerts = Array.from({ length: perRequest }, alert);
        const body = JSON.stringify(perRequest === 1 ? alerts[0] : alerts);
        const pool = pools[next++ % pools.length]!;
        const t0 = performance.now();
        const res = await pool.request({ path: '/ingest/app', method: 'POST', headers, body });
        const text = await res.body.text();
        times.push(performance.now() - t0);
        if (res.statusCode === 202) requests++;
        else if (!errors++) firstError = `${res.statusCode} ${text.slice(0, 200)}`;
      }
    }),
  );
  const secs = (performance.now() - started) / 1000;
  const alerts = requests * perRequest;
  const cpu = t.pids.reduce((s, p) => s + cpuUs(p), 0) - cpu0;
  const db = (t.dbCpuUs?.() ?? 0) - db0;
  const own = process.cpuUsage(own0);
  const bench = benchCpuUs() - bench0;
  const m1 = machineTicks();
  await Promise.all(pools.map((p) => p.close()));
  times.sort((a, b) => a - b);
  const machineUs = (m1.total - m0.total) * US_PER_TICK;
  return {
    alerts,
    seconds: secs,
    alertsPerSecond: alerts / secs,
    p50Ms: quantile(times, 0.5),
    p99Ms: quantile(times, 0.99),
    tocsinCpuUsPerAlert: cpu / alerts,
    dbCpuUsPerAlert: t.dbCpuUs ? db / alerts : NaN,
    loadgenCpuPct: ((own.user + own.system) / 1e6 / secs) * 100,
    machineBusyPct: ((m1.busy - m0.busy) / (m1.total - m0.total)) * 100,
    otherWorkPct: Math.max(0, ((m1.busy - m0.busy) * US_PER_TICK - bench) / machineUs) * 100,
    errors,
    firstError,
  };
}

/** What the processes use while nothing is sent to them (timers, polls, lease renewals): % of one core, summed. */
export async function idleCpuPct(pids: number[], seconds: number): Promise<number> {
  const c0 = pids.reduce((s, p) => s + cpuUs(p), 0);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const secs = (performance.now() - t0) / 1000;
  return ((pids.reduce((s, p) => s + cpuUs(p), 0) - c0) / 1e6 / secs) * 100;
}
