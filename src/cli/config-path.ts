import { existsSync } from 'node:fs';
import { ConfigError, loadConfigFile, type Config } from '../config/load.ts';
import { CliError, EXIT } from './exit.ts';

/** `--config`, else `TOCSIN_CONFIG`, else `./tocsin.yaml` if present; undefined means sandbox mode. */
export function findConfigPath(flag: string | undefined): string | undefined {
  if (flag) return flag;
  if (process.env.TOCSIN_CONFIG) return process.env.TOCSIN_CONFIG;
  return existsSync('tocsin.yaml') ? 'tocsin.yaml' : undefined;
}

export function loadOrExit(path: string): Config {
  try {
    return loadConfigFile(path);
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(`${path}: ${e.message}`, EXIT.usage);
    throw e;
  }
}
