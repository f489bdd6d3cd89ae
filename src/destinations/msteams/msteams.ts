/**
 * `msteams`: an Adaptive Card per alert state posted to a Teams Workflows (Power Automate) webhook. A Workflows
 * webhook cannot edit what its flow posted: the card is posted when the episode fires and again when it resolves,
 * and the updates in between are left out rather than flood the channel (as a Slack incoming webhook does).
 */
import type { JsonObject } from '../../domain/alert.ts';
import { classifyHttp, type HttpHints } from '../http-outcome.ts';
import { createAgent, sendJson, type HttpOutcome } from '../incident-io/http.ts';
import type { DestinationType } from '../registry.ts';
import { shownState, type Destination, type SendOutcome } from '../types.ts';
import { safeHost, urlFingerprint } from '../webhook/webhook.ts';
import { buildCard } from './card.ts';
import { msteamsConfig, type MsteamsConfig } from './config.ts';

const RECONFIGURE = 'then reload tocsin and retry this delivery.';

const hints: HttpHints = {
  service: 'Teams Workflows',
  byStatus: {
    400: "The workflow refused the request body. tocsin sends the body the \"When a Teams webhook request is received\" trigger documents: if the flow was edited to expect another schema, restore the trigger (or use the \"Send webhook alerts to a channel\" template), then retry this delivery.",
    401: `The workflow refused the URL's signature (sig=…): copy the webhook URL again from the flow's trigger into webhook_url, ${RECONFIGURE}`,
    403: `The workflow may not be run with this URL (its trigger allows only some users, or the flow is turned off): set the trigger to "Anyone" and turn the flow on, or create a new one, ${RECONFIGURE}`,
    404: `No workflow answers at this URL: it was deleted, or the URL is wrong (copied incompletely). Copy the URL from the flow's "When a Teams webhook request is received" trigger into webhook_url, ${RECONFIGURE}`,
    413: 'The card is larger than the workflow accepts. tocsin keeps it within Teams\' 28 KB: report this as a bug with the alert id.',
  },
  fallback: `The workflow refused the request; its answer is in the response excerpt. Check webhook_url and the flow, ${RECONFIGURE}`,
};

/** Power Automate answers an error as `{error: {code, message}}`: the code (`WorkflowNotFound`) says more than the status. */
function errorCode(body: string): string | undefined {
  try {
    const code = (JSON.parse(body) as { error?: { code?: unknown } })?.error?.code;
    return typeof code === 'string' && /^[A-Za-z]{2,80}$/.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

/** 200/202 delivered; 408, 429 (Retry-After) and 5xx retried; any other status final with a hint. */
export function classifyTeams(outcome: HttpOutcome, now: number): SendOutcome {
  const out = classifyHttp(outcome, now, hints);
  if (out.kind === 'delivered' || !outcome.ok) return out;
  const code = errorCode(outcome.res.body);
  return code ? { ...out, error: `HTTP ${outcome.res.statusCode}: ${code}` } : out;
}

export function createMsteamsDestination(name: string, c: MsteamsConfig): Destination {
  const agent = createAgent(c.timeout_ms);
  return {
    name,
    type: 'msteams',
    rateLimit: { perMinute: c.rate_limit_per_minute, burst: Math.min(c.rate_limit_burst, c.rate_limit_per_minute) },
    sendTimeoutMs: c.timeout_ms,
    // A Workflows webhook cannot edit its card: an acknowledgement is a new card.
    updatesOnAcknowledge: true,
    async send(p, previous, context) {
      // One card per shown state: firing, acknowledged (again after an unack), resolved.
      const shown = shownState(p);
      if (shown !== 'resolved' && previous?.['posted'] === shown) {
        return { kind: 'delivered', statusCode: 0, detail: 'already posted for this episode; a Workflows webhook cannot update its card', state: previous as JsonObject };
      }
      const res = await sendJson(agent, 'POST', c.webhook_url, { 'user-agent': 'tocsin' }, JSON.stringify(buildCard(p, context?.ackUrl)), c.timeout_ms);
      const out = classifyTeams(res, Date.now());
      if (out.kind === 'delivered') return { ...out, state: { posted: shown }, detail: `${shown} card posted` };
      return out;
    },
    close: () => agent.close(),
  };
}

export const msteamsDestination: DestinationType<MsteamsConfig> = {
  type: 'msteams',
  config: msteamsConfig,
  create: async (name, c) => createMsteamsDestination(name, c),
  // The URL is the credential: only its host and a fingerprint are stored.
  target: (c) => `msteams workflow ${safeHost(c.webhook_url)} (url sha256 ${urlFingerprint(c.webhook_url)})`,
};
