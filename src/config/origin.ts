import { configFromEnv } from './env-config.ts';
import { loadConfigFile, type Config } from './load.ts';

/**
 * Reads a config again from where it came from (SIGHUP, `POST /-/reload`): the file, or the environment (which a
 * running process cannot change, so that reload re-applies the same settings). Undefined for a config built in
 * code (the sandbox): there is nothing to read again. Throws ConfigError like the first load.
 */
export function loadAgain(current: Config, env: NodeJS.ProcessEnv = process.env): Config | undefined {
  switch (current.origin.kind) {
    case 'file':
      return loadConfigFile(current.origin.path, env);
    case 'env':
      return configFromEnv(env, current.baseDir);
    case 'inline':
      return undefined;
  }
}
