import type { Monitor } from "./types.js";

/** What a kind's monitor class offers that a running {@link Monitor} reads straight through. */
export interface Adaptable<S, R> {
  tick(now: number): readonly R[];
  flush(now: number): readonly R[];
  readonly state: S;
  readonly needsTick: boolean;
  readonly lateEvents: number;
  readonly referenceEvents: number;
  /** Its reference's label, when it has a reference. */
  readonly reference?: string;
}

/**
 * A running monitor from a kind's monitor class and the members that differ between kinds (how an
 * event is added, which sources, what it observes): the clock, the state and the counts are read
 * through live, as getters, so the pipeline always sees the monitor's current values.
 *
 * @example
 *   return adaptMonitor(monitor, { name, sources: [config.source], add: (input) => monitor.add(input.event) });
 */
export function adaptMonitor<S, R>(
  monitor: Adaptable<S, R>,
  own: Pick<
    Monitor<S, R>,
    | "name"
    | "sources"
    | "add"
    | "endBatch"
    | "settle"
    | "observe"
    | "schedule"
    | "screen"
    | "setReference"
    | "cluster"
  >,
): Monitor<S, R> {
  return {
    ...own,
    tick: (now: number) => monitor.tick(now),
    flush: (now: number) => monitor.flush(now),
    get state() {
      return monitor.state;
    },
    get needsTick() {
      return monitor.needsTick;
    },
    get lateEvents() {
      return monitor.lateEvents;
    },
    get referenceEvents() {
      return monitor.referenceEvents;
    },
    get reference() {
      return monitor.reference;
    },
  };
}
