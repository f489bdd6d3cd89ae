import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { monotonicFactory } from 'ulid';
import { buildServer } from './api/server.ts';
import type { Gateway, ReloadOutcome, RestartKey } from './api/gateway.ts';
import { Metrics } from './api/metrics.ts';
import { ConfigError, type Config } from './config/load.ts';
import { loadAgain } from './config/origin.ts';
import { ingest, type Routing } from './core/ingest.ts';
import { actOnAlert, retryDelivery } from './core/manage.ts';
import { ackService } from './ack/actions.ts';
import { rerouteActive } from './core/reroute.ts';
import { thisProcess } from './cluster/holder.ts';
import { clusterView } from './cluster/view.ts';
import { escalationTask } from './timers/escalation-task.ts';
import { Scheduler } from './timers/scheduler.ts';
import { isLogsSource } from './sources/logs/logs.ts';
import { ttlTask } from './timers/ttl-task.ts';
import { Heartbeats } from './heartbeats/service.ts';
import { withWatchdogResults } from './heartbeats/watchdog.ts';
import { refreshTask } from './timers/refresh-task.ts';
import { muteTask } from './timers/mute-task.ts';
import { queriesTask } from './timers/queries-task.ts';
import { installMuteCheck } from './mute/hook.ts';
import { Muter } from './mute/muter.ts';
import { MuteService } from './mute/service.ts';
import { Senders } from './delivery/senders.ts';
import { systemClock, type Clock } from './domain/clock.ts';
import { DestinationConfigError, destinationTypes } from './destinations/registry.ts';
import type { Destination } from './destinations/types.ts';
import { queueDepths } from './storage/deliveries-repo.ts';
import { GroupCommit } from './storage/group-commit.ts';
import { ping } from './storage/migrations.ts';
import type { AlertRow, Db } from './storage/schema.ts';
import { openPostgres } from './storage/postgres.ts';
import { openSqlite } from './storage/sqlite.ts';
import { Startup } from './startup.ts';
import { storageUnavailable } from './storage/unavailable.ts';

export interface RunningApp {
  url: string;
  server: FastifyInstance;
  db: Db;
  /**
   * Reads the config again from its origin (or applies `next`): sources, routes and destinations change; listen and
   * storage need a restart. SIGHUP and `POST /-/reload` both come here.
   */
  reload(trigger: string, next?: Config): Promise<ReloadOutcome>;
  /** The config in force (reloads replace it). */
  config(): Config;
  close(): Promise<void>;
}

async function openStorage(config: Config, logger: Logger): Promise<Db> {
  if ('sqlite' in config.storage) return openSqlite({ path: config.storage.sqlite });
  return openPostgres({ ...config.storage.postgres, onIdleError: (e) => logger.warn({ err: e }, 'a PostgreSQL connection failed while idle: it is replaced') });
}

async function createDestinations(config: Config, logger: Logger): Promise<Map<string, Destination>> {
  const out = new Map<string, Destination>();
  for (const d of config.destinations.values()) {
    try {
      out.set(d.name, await destinationTypes[d.type]!.create(d.name, d.config, { logger }));
    } catch (e) {
      // A destination that checked its settings against the remote (e.g. incident names) reports a config mistake.
      if (e instanceof DestinationConfigError) throw new ConfigError([{ path: `destinations.${d.name}${e.path ? `.${e.path}` : ''}`, message: e.message }]);
      throw e;
    }
  }
  return out;
}

/**
 * The composition root: HTTP (answering 503 until the rest is up) → storage → destinations → ingest → delivery
 * workers. Storage that is locked or full at start is waited for, not fatal. The caller exits on any other failure.
 */
export async function startApp(initial: Config, logger: Logger, clock: Clock = systemClock): Promise<RunningApp> {
  let config = initial;
  let opened: Db | undefined;
  const metrics = new Metrics(() => (opened ? queueDepths(opened) : Promise.resolve([])));
  const startup = new Startup({ config: () => config, metrics }, logger);
  const server = buildServer(startup.gateway, logger);
  await server.listen({ host: config.listen.host, port: config.listen.port });
  const db = (opened = await startup.untilStored('opening the database', () => openStorage(config, logger)));
  const commits = new GroupCommit(db);
  // Ids only need to be unique and ordered, not unguessable: Math.random is several times cheaper than crypto here.
  const newId = monotonicFactory(() => Math.random());
  // Silences, time intervals, inhibition (src/mute/): every enqueue asks the muter, installed before anything enqueues.
  const muter = new Muter({ refreshMs: () => config.delivery.pollIntervalMs, rules: () => ({ routes: config.routes, mute: config.mute }) });
  const uninstallMute = installMuteCheck(muter);
  const mute = new MuteService({ db, commits, clock, newId: () => newId(clock.now()), muter });
  const holder = thisProcess();
  /** Where the summary of a storm links to: the listen address (a wildcard one is replaced by the host name). */
  const apiBase = () => {
    const a = server.server.address();
    const port = typeof a === 'object' && a ? a.port : config.listen.port;
    const h = ['0.0.0.0', '::', ''].includes(config.listen.host) ? hostname() : config.listen.host;
    return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
  };
  const senders = new Senders({ db, commits, clock, logger, observer: metrics, holder, newId: () => newId(clock.now()), config: () => config, apiBase });
  const wake = (names: Iterable<string>, counts?: ReadonlyMap<string, number>) => senders.wake(names, counts);
  await senders.apply(await createDestinations(config, logger));
  const scheduler = new Scheduler({
    db,
    commits,
    clock,
    logger: logger.child({ component: 'scheduler' }),
    holder,
    leaseTtlMs: config.cluster.leaseTtlMs,
    pollIntervalMs: config.delivery.pollIntervalMs,
    configured: () => routing.destinations,
    wake,
    tasks: () => timerTasks,
  });
  const timerTasks = [escalationTask, ttlTask, refreshTask(() => config.destinations.values()), muteTask(muter, () => config.mute.intervals.size > 0)];
  // Heartbeats (src/heartbeats/): pings, Watchdogs, missed alerts and forwards to incident.io, the self heartbeat.
  const heartbeats = new Heartbeats({ db, commits, clock, logger: logger.child({ component: 'heartbeats' }), config: () => config, routing: () => routing, newId: () => newId(clock.now()), poke: () => scheduler.poke(), ready: () => gateway.ready(), registry: metrics.registry });
  timerTasks.push(heartbeats.task);
  // Scheduled alert queries read the config in force at each tick: a reload needs no rebuild. Their alerts go through ingest.
  timerTasks.push(queriesTask({ config: () => config.queries, ingest: { commits, clock, newId: () => newId(clock.now()), routing: () => routing }, poke: () => scheduler.poke() }));

  const routingOf = (c: Config): Routing => ({ routes: c.routes, destinations: new Set(c.destinations.keys()), sourceResolveAfter: (s) => c.sources.get(s)?.resolveAfterMs });
  let routing: Routing = routingOf(config);
  const ingestLog = logger.child({ component: 'ingest' });
  const ingestDeps = {
    commits,
    clock,
    newId: () => newId(clock.now()),
    routing: () => routing,
    observe: (source: string, result: Parameters<Metrics['ingest']>[1], _enqueue: unknown, unrouted: AlertRow | undefined) => {
      metrics.ingest(source, result);
      if (!unrouted) return;
      // Never silent: an alert no route matched is kept, counted and named, so a missing default route shows.
      metrics.unroutedAlert(source);
      // A log rule's title and group value come from log lines, which may hold secrets: its alert is named by id only.
      const named = isLogsSource(config.sources.get(source)) ? {} : { dedup_key: unrouted.dedup_key, title: unrouted.title };
      ingestLog.warn({ source, alert: unrouted.id, ...named }, 'alert matched no route: stored, delivered nowhere (add a default route, or see `tocsin alerts --unrouted`)');
    },
  };

  /** Start and reload: active alerts meet the routes in force; queued rows of removed destinations are orphaned. */
  const reroute = async () => {
    const targets = new Map([...config.destinations.values()].map((d) => [d.name, destinationTypes[d.type]!.target(d.config)]));
    const r = await rerouteActive(commits, clock, routing, targets);
    for (const d of r.retargeted) logger.warn({ destination: d }, `destination "${d}" now points at another target: its active alerts are sent there again`);
    if (r.rerouted) logger.info({ alerts: r.rerouted, destinations: Object.fromEntries(r.added) }, 'active alerts routed to destinations they now match');
    if (r.revived) logger.info({ deliveries: r.revived }, 'orphaned deliveries are pending again: their destination is configured');
    if (r.ttlChanged) logger.info({ alerts: r.ttlChanged }, 'active alerts given the resolve_after now in force');
    for (const [destination, n] of r.orphaned) {
      logger.warn({ destination, deliveries: n }, `destination "${destination}" is not configured: ${n} deliveries kept as orphaned (sent if it comes back; see tocsin deliveries --status orphaned)`);
    }
    wake(r.added.keys());
    if (r.revived) wake(routing.destinations);
  };
  await startup.untilStored('routing active alerts', reroute);
  scheduler.start();

  const logWarnings = (c: Config) => {
    for (const w of c.warnings) logger.warn({ path: w.path }, `config warning: ${w.path}: ${w.message}`);
  };
  logWarnings(config);

  /** Swaps in a validated config. Destinations are created first, so a failure there leaves everything as it was. */
  const apply = async (next: Config) => {
    const destinations = await createDestinations(next, logger);
    config = { ...next, listen: config.listen, storage: config.storage, requestTimeoutMs: config.requestTimeoutMs, cluster: config.cluster };
    routing = routingOf(next);
    await senders.apply(destinations);
    // The new config is in force from here; if storage is down, the rerouting waits for it rather than failing a
    // reload whose workers already run.
    await reroute().catch((e: unknown) => {
      if (!storageUnavailable(e)) throw e;
      void startup.untilStored('routing active alerts after the reload', reroute).catch((err: unknown) => logger.error({ err }, 'rerouting after the reload failed'));
    });
  };

  const reloadNow = async (trigger: string, given?: Config): Promise<ReloadOutcome> => {
    const refused = (outcome: ReloadOutcome & { ok: false }): ReloadOutcome => {
      metrics.configLoaded(false, clock.now());
      const detail = outcome.reason === 'invalid' ? { problems: outcome.problems } : { reason: outcome.message };
      logger.error({ trigger, ...detail }, outcome.reason === 'invalid' ? 'reload refused: invalid configuration; keeping the previous one' : 'reload failed; keeping the previous configuration');
      return outcome;
    };
    let next: Config | undefined;
    try {
      next = given ?? loadAgain(config);
    } catch (e) {
      if (e instanceof ConfigError) return refused({ ok: false, reason: 'invalid', problems: e.problems });
      return refused({ ok: false, reason: 'failed', message: (e as Error).message });
    }
    if (!next) {
      logger.warn({ trigger }, 'reload ignored: sandbox mode has no config file to read again');
      return { ok: false, reason: 'not_reloadable', message: 'sandbox mode has no config file to read again: start tocsin with --config' };
    }
    const running = config;
    try {
      await apply(next);
    } catch (e) {
      if (e instanceof ConfigError) return refused({ ok: false, reason: 'invalid', problems: e.problems });
      return refused({ ok: false, reason: 'failed', message: (e as Error).message });
    }
    metrics.configLoaded(true, clock.now());
    const restartRequired: RestartKey[] = [];
    if (next.listen.host !== running.listen.host || next.listen.port !== running.listen.port) restartRequired.push('listen');
    if (JSON.stringify(next.storage) !== JSON.stringify(running.storage)) restartRequired.push('storage');
    if (next.requestTimeoutMs !== running.requestTimeoutMs) restartRequired.push('request_timeout');
    if (next.cluster.leaseTtlMs !== running.cluster.leaseTtlMs) restartRequired.push('cluster');
    for (const key of restartRequired) logger.warn({ trigger, key }, `${key} changed in the config: restart tocsin to apply it (the running ${key} is unchanged)`);
    logger.info({ trigger, sources: next.sources.size, destinations: next.destinations.size, routes: next.routes.length }, 'configuration reloaded');
    logWarnings(next);
    return { ok: true, restartRequired, warnings: next.warnings };
  };
  // One reload at a time: two SIGHUPs in a row must not start the same destination's worker twice.
  let reloading: Promise<unknown> = Promise.resolve();
  const reload = (trigger: string, next?: Config): Promise<ReloadOutcome> => {
    const run = reloading.then(() => reloadNow(trigger, next));
    reloading = run.catch(() => undefined);
    return run;
  };

  const gateway: Gateway = {
    config: () => config,
    reload: (trigger) => reload(trigger),
    db,
    metrics,
    heartbeats,
    async ingest(source, events, destination) {
      // A source's Watchdog alerts are heartbeat pings (committed first), never stored as alerts.
      const split = await heartbeats.watchdogs(source.name, events);
      const r = withWatchdogResults(await ingest(ingestDeps, split.alerts, destination), events, split);
      wake(r.enqueued, r.queuedTo);
      if (r.unknownDestination !== undefined) {
        metrics.unknownDestinationNamed(source.name);
        ingestLog.warn({ source: source.name, destination: r.unknownDestination }, 'request named a destination that is not configured: routed by the routes instead');
      }
      return r;
    },
    async retryDelivery(id) {
      const r = await retryDelivery(commits, clock, id, routing.destinations);
      if (r.ok && r.wake) wake(r.wake);
      return r;
    },
    async actOnAlert(id, action) {
      const r = await actOnAlert(commits, clock, id, action, routing.destinations);
      if (r.ok && r.wake) wake(r.wake);
      return r;
    },
    mute,
    ack: ackService({ commits, clock, configured: () => routing.destinations, updatesOnAcknowledge: () => senders.updatingOnAcknowledge(), wake, settings: () => config.ack }),
    cluster: () => clusterView(db, holder),
    async ready() {
      try {
        await ping(db);
      } catch (e) {
        return { ok: false, reason: `database: ${(e as Error).message}` };
      }
      // Reads work while another process holds the write lock, or the disk is full: ready means alerts can be stored.
      const trouble = await commits.writable();
      if (trouble) return { ok: false, reason: `database takes no writes since ${new Date(trouble.since).toISOString()}: ${trouble.message}` };
      return { ok: true };
    },
  };

  startup.serve(gateway);
  heartbeats.start();
  const addr = server.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.listen.port;
  const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;

  return {
    url: `http://${host}:${port}`,
    server,
    db,
    reload,
    config: () => config,
    async close() {
      // A keep-alive connection whose request was still being answered when the stop began turns idle afterwards; the
      // server would wait out its keep-alive timeout (5 s) for it. Close idle connections as they appear instead.
      const idle = setInterval(() => server.server.closeIdleConnections(), 50);
      try {
        await server.close();
      } finally {
        clearInterval(idle);
      }
      await scheduler.stop();
      await heartbeats.stop();
      uninstallMute();
      await senders.stop();
      commits.stop();
      await db.destroy();
    },
  };
}
