import { existsSync } from 'node:fs';
import { configFromEnv, envConfigRequested } from '../config/env-config.ts';
import { ConfigError, loadConfigFile, type Config } from '../config/load.ts';
import { CliError, EXIT } from './exit.ts';

/** `--config`, else `TOCSIN_CONFIG`, else `./tocsin.yaml` if present; undefined means sandbox mode. */
export function findConfigPath(flag: string | undefined): string | undefined {
  if (flag) return flag;
  if (process.env.TOCSIN_CONFIG) return process.env.TOCSIN_CONFIG;
  return existsSync('tocsin.yaml') ? 'tocsin.yaml' : undefined;
}

/** One problem is one line; several are listed under a heading, each with its key path. */
export function configProblems(label: string, e: ConfigError): CliError {
  const only = e.problems.length === 1 ? e.problems[0]! : undefined;
  return new CliError(only ? `${label}: ${only.path ? `${only.path}: ` : ''}${only.message}` : `${label}: ${e.message}`, EXIT.usage);
}

export function loadOrExit(path: string): Config {
  try {
    return loadConfigFile(path);
  } catch (e) {
    if (e instanceof ConfigError) throw configProblems(path, e);
    throw e;
  }
}

export const ENV_LABEL = '(environment variables)';

/**
 * The config a command reads, found as `tocsin start` finds it: the file, else an environment-only config. Never
 * the sandbox: checking or testing a made-up config would prove nothing. `label` names it in messages.
 */
export function loadCommandConfig(flag: string | undefined): { label: string; config: Config; path?: string } {
  const path = findConfigPath(flag);
  if (path) return { label: path, config: loadOrExit(path), path };
  if (!envConfigRequested(process.env)) throw new CliError('no config file: pass --config, set TOCSIN_CONFIG, or create ./tocsin.yaml', EXIT.usage);
  try {
    return { label: ENV_LABEL, config: configFromEnv(process.env) };
  } catch (e) {
    if (e instanceof ConfigError) throw configProblems(ENV_LABEL, e);
    throw e;
  }
}
