import type { z } from 'zod';
import type { Logger } from 'pino';
import { emailDestination } from './email/email.ts';
import { alertSourceDestination } from './incident-io/alert-source.ts';
import { incidentsDestination } from './incident-io/incidents.ts';
import { msteamsDestination } from './msteams/msteams.ts';
import { slackDestination } from './slack/slack.ts';
import { telegramDestination } from './telegram/telegram.ts';
import type { Destination } from './types.ts';
import { webhookDestination } from './webhook/webhook.ts';

export interface DestinationDeps {
  logger: Logger;
}

/** One destination kind: its config schema (with `type`) and how to build it. Adding a kind = one entry here. */
export interface DestinationType<C extends { type: string } = { type: string }> {
  type: string;
  config: z.ZodType<C, z.ZodTypeDef, unknown>;
  /** May reach the remote (e.g. to resolve names to ids); throws DestinationConfigError for a config mistake. */
  create(name: string, config: C, deps: DestinationDeps): Promise<Destination>;
  /**
   * What the destination delivers *to*, without secrets (an alert source's URL): when a name is pointed at another
   * target (the sandbox's database reused by a live config), active alerts are sent to the new target again.
   */
  target(config: C): string;
}

export class DestinationConfigError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

export const destinationTypes: Record<string, DestinationType<any>> = {
  [alertSourceDestination.type]: alertSourceDestination,
  [incidentsDestination.type]: incidentsDestination,
  [webhookDestination.type]: webhookDestination,
  [slackDestination.type]: slackDestination,
  [emailDestination.type]: emailDestination,
  [msteamsDestination.type]: msteamsDestination,
  [telegramDestination.type]: telegramDestination,
};
