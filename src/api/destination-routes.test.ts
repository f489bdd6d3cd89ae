import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MASK, maskedConfig } from './destination-routes.ts';

test('every secret key is masked, at any depth; a secret URL keeps only its origin; the rest shows as configured', () => {
  const shown = maskedConfig({
    type: 'incident_io_alert_source',
    alert_source_config_id: '01GW2G3V0S59R238FAHPDS1R66',
    token: 'alert-source-secret-5f2d8c1e9b',
    base_url: 'https://api.incident.io',
    metadata: { environment: 'production', nested: { api_key: 'k-123456', password: 'p' } },
    list: [{ secret: 'whsec_abc' }],
  });
  assert.deepEqual(shown, {
    type: 'incident_io_alert_source',
    alert_source_config_id: '01GW2G3V0S59R238FAHPDS1R66',
    token: MASK,
    base_url: 'https://api.incident.io',
    metadata: { environment: 'production', nested: { api_key: MASK, password: MASK } },
    list: [{ secret: MASK }],
  });
  assert.deepEqual(maskedConfig({ type: 'webhook', url: 'https://user:pw@hooks.example.com/T000/B000/XXXX?key=1', secret: 'whsec_x' }), {
    type: 'webhook',
    url: `https://hooks.example.com/${MASK}`,
    secret: MASK,
  });
  assert.deepEqual(maskedConfig({ type: 'slack', webhook_url: 'https://hooks.slack.com/services/T0/B0/hooksecret', base_url: 'https://slack.com/api' }), {
    type: 'slack',
    webhook_url: `https://hooks.slack.com/${MASK}`,
    base_url: 'https://slack.com/api',
  });
  assert.deepEqual(maskedConfig({ signing_secret: 's', bearer_token_2: 't', client_credentials: 'c', channel: '#alerts' }), { signing_secret: MASK, bearer_token_2: MASK, client_credentials: MASK, channel: '#alerts' });
  assert.deepEqual(maskedConfig({ url: 'not a url' }), { url: MASK });
  assert.deepEqual(maskedConfig({ token: '' }), { token: '' }, 'an empty value hides nothing');
});
