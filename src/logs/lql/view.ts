/**
 * The per-event state that compiled rules share: the event's message (found and lower-cased at most once) and the
 * values of its `m.` fields (each distinct path looked up at most once, whatever number of rules name it).
 */
import { fieldValue, messageOf, type LogEvent } from '../event.ts';

const NO_EVENT: LogEvent = Object.freeze({});

/** Numbers each distinct field path, so rules that name the same field share one lookup per event. */
export class FieldSlots {
  readonly paths: (readonly string[])[] = [];
  private readonly byKey = new Map<string, number>();

  slot(path: readonly string[]): number {
    const key = path.join('\u0000');
    let s = this.byKey.get(key);
    if (s === undefined) {
      s = this.paths.length;
      this.byKey.set(key, s);
      this.paths.push(path);
    }
    return s;
  }
}

/** One event as the predicates see it; reused from event to event (set), so matching allocates nothing. */
export class EventView {
  event: LogEvent = NO_EVENT;
  private msg: string | undefined;
  private low: string | undefined;
  private values: unknown[] = [];
  /** values[i] belongs to the current event when seen[i] === epoch: resetting is one increment, not a clear. */
  private seen = new Uint32Array(0);
  private epoch = 1;

  constructor(private readonly slots: FieldSlots) {}

  set(event: LogEvent): void {
    this.event = event;
    this.msg = undefined;
    this.low = undefined;
    if (this.seen.length !== this.slots.paths.length) {
      this.seen = new Uint32Array(this.slots.paths.length);
      this.values = new Array<unknown>(this.slots.paths.length);
    }
    if (++this.epoch === 0xffffffff) {
      this.seen.fill(0);
      this.epoch = 1;
    }
  }

  /** Forget the event, so a matcher does not keep the last line (and what it holds) alive. */
  clear(): void {
    this.event = NO_EVENT;
    this.msg = undefined;
    this.low = undefined;
    this.values.fill(undefined);
  }

  message(): string {
    return (this.msg ??= messageOf(this.event));
  }

  lower(): string {
    return (this.low ??= this.message().toLowerCase());
  }

  field(slot: number): unknown {
    if (this.seen[slot] === this.epoch) return this.values[slot];
    const v = fieldValue(this.event, this.slots.paths[slot]!);
    this.values[slot] = v;
    this.seen[slot] = this.epoch;
    return v;
  }
}

/** A compiled term or query. */
export type Pred = (v: EventView) => boolean;
