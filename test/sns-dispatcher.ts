import { Agent, buildConnector } from 'undici';

/**
 * An undici dispatcher that dials 127.0.0.1:`port` for any *.amazonaws.com origin and connects normally to
 * everything else. TLS is still verified against the original host name (sns.<region>.amazonaws.com), trusting
 * `ca`, or without it the process's CAs (NODE_EXTRA_CA_CERTS in the end-to-end test). Test-only: tocsin itself
 * never redirects anything.
 */
export function redirectingDispatcher(port: number, ca?: string): Agent {
  const direct = buildConnector(ca ? { ca } : {});
  return new Agent({
    connect: (opts, callback) => {
      if (!opts.hostname.endsWith('.amazonaws.com')) return direct(opts, callback);
      return direct({ ...opts, servername: opts.hostname, hostname: '127.0.0.1', port: String(port) }, callback);
    },
  });
}
