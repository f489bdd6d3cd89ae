/** At most this many distinct warnings in one answer: enough to fix a sender, short enough to read. */
const MAX_WARNINGS = 20;
/** Alerts named per warning before "and N more". */
const MAX_PLACES = 3;

export interface WarningCollector {
  /** `where` is an alert's place in the body (`[3]`, `alerts[0]`), or '' for the whole request. */
  add(where: string, message: string): void;
  list(): string[];
}

/**
 * The warnings of one request (ParsedBatch.warnings), grouped by message: the same unknown field on 1,000 alerts is
 * one line saying where, not 1,000 lines.
 */
export function warningCollector(): WarningCollector {
  const byMessage = new Map<string, string[]>();
  return {
    add(where, message) {
      const places = byMessage.get(message);
      if (places) places.push(where);
      else byMessage.set(message, [where]);
    },
    list() {
      const out = [...byMessage].slice(0, MAX_WARNINGS).map(([message, places]) => {
        const named = places.filter((p) => p !== '');
        if (named.length === 0) return message;
        const more = named.length > MAX_PLACES ? ` and ${named.length - MAX_PLACES} more` : '';
        return `${named.slice(0, MAX_PLACES).join(', ')}${more}: ${message}`;
      });
      if (byMessage.size > MAX_WARNINGS) out.push(`and ${byMessage.size - MAX_WARNINGS} more warnings`);
      return out;
    },
  };
}
