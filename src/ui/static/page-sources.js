// @ts-check
/** Sources: each one's ingest URL and setup snippets; the token appears only as a placeholder. */
import { get } from './api.js';
import { h, note, replace, snippet } from './dom.js';

/** @param {string} name */
const tokenVar = (name) => `TOCSIN_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_TOKEN`;

/**
 * Fluent Bit's and Vector's HTTP outputs, sending records as NDJSON (one JSON object a line), which every ingest route
 * reads as a list. The token is read from the environment by the shipper itself (both expand `${VAR}` in their config).
 * @param {string} name @param {string} url @param {string} v the token's variable @returns {[string, string][]}
 */
function logShippers(name, url, v) {
  const u = new URL(url);
  const tls = u.protocol === 'https:';
  const port = u.port || (tls ? '443' : '80');
  return [
    ['Fluent Bit (fluent-bit.conf)', `# json_lines: one JSON record a line (Fluent Bit's default, msgpack, is not JSON)
[OUTPUT]
    Name           http
    Match          *
    Host           ${u.hostname}
    Port           ${port}
    URI            ${u.pathname}
    Format         json_lines
    Header         Authorization Bearer \${${v}}
    tls            ${tls ? 'On' : 'Off'}`],
    ['Vector (vector.yaml)', `sinks:
  tocsin_${name.replace(/[^A-Za-z0-9_]/g, '_')}:
    type: http
    inputs: [my_logs]          # your source or transform
    uri: ${url}
    method: post
    auth:
      strategy: bearer
      token: "\${${v}}"
    encoding:
      codec: json
    framing:
      method: newline_delimited`],
  ];
}

/** @param {{name: string, type: string}} s @param {string} url @returns {[string, string][]} */
function snippets(s, url) {
  const v = tokenVar(s.name);
  const curl = `curl -X POST '${url}' -H "Authorization: Bearer $${v}" \\
     -H 'Content-Type: application/json' \\
     -d '{"title":"Orders API 5xx above 2%","dedup_key":"orders-5xx","severity":"critical","metadata":{"team":"payments"}}'
# resolve it:
curl -X POST '${url}' -H "Authorization: Bearer $${v}" \\
     -H 'Content-Type: application/json' -d '{"dedup_key":"orders-5xx","title":"Orders API 5xx above 2%","status":"resolved"}'`;
  const out = /** @type {[string, string][]} */ ([]);
  if (s.type === 'alertmanager') {
    out.push(['Alertmanager (alertmanager.yml)', `receivers:
  - name: tocsin
    webhook_configs:
      - url: ${url}
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials_file: /etc/alertmanager/secrets/tocsin-token   # holds the ${s.name} source's token`]);
  }
  if (s.type === 'grafana') {
    out.push(['Grafana contact point (provisioning/alerting/tocsin.yaml)', `apiVersion: 1
contactPoints:
  - orgId: 1
    name: tocsin
    receivers:
      - uid: tocsin-webhook
        type: webhook
        disableResolveMessage: false
        settings:
          url: ${url}
          httpMethod: POST
          authorization_scheme: Bearer
          authorization_credentials: $${v}   # Grafana expands environment variables here`]);
  }
  if (s.type === 'dbt') {
    out.push(['dbt in CI (after dbt ran, whatever its exit code)', `export TOCSIN_URL=${new URL(url).origin}
export TOCSIN_SOURCE_TOKEN=...   # the ${s.name} source's token, from your CI secrets
dbt build; status=$?
tocsin dbt target/run_results.json --source ${s.name}
exit $status`]);
    out.push(['dbt without the CLI (curl)', `curl -fsS -X POST '${url}' -H "Authorization: Bearer $TOCSIN_SOURCE_TOKEN" \\
     -H 'Content-Type: application/json' --data-binary @target/run_results.json`]);
  }
  if (s.type === 'versus' || s.type === 'webhook') out.push(...logShippers(s.name, url, v));
  if (s.type === 'alerts' || s.type === 'versus' || s.type === 'webhook') out.push(['curl', curl]);
  if (!out.length) out.push(['curl (the body this source type expects; see docs/sources.md)', `curl -X POST '${url}' -H "Authorization: Bearer $${v}" -H 'Content-Type: application/json' --data-binary @payload.json`]);
  return out;
}

/** @type {import('./app.js').Render} */
export async function sourcesPage(main) {
  const { sources } = await get('/sources');
  replace(main, h('h1', null, 'Sources'),
    h('p', { class: 'muted' }, 'Each source has its own token, in the gateway\'s config; it is never shown here. The snippets read it from an environment variable or a file: put the token there. A sender may also give it as HTTP Basic password or ?token=.'),
    sources.length ? sources.map((/** @type {any} */ s) => {
      const url = `${location.origin}${s.ingest_path}`;
      return h('section', { class: 'card', 'aria-labelledby': `src-${s.name}` },
        h('h2', { id: `src-${s.name}` }, s.name, ' ', h('span', { class: 'muted' }, `(${s.type})`)),
        h('dl', { class: 'kv' }, h('dt', null, 'Ingest URL'), h('dd', null, h('code', null, url)), h('dt', null, 'Token'), h('dd', null, h('code', null, `$${tokenVar(s.name)}`), ' (placeholder)')),
        snippets(s, url).map(([label, text]) => [h('h3', null, label), snippet(`${s.name}: ${label}`, text)]));
    }) : note('No source is configured.'));
}
