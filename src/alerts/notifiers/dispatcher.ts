/**
 * Fans batches of alerts out to every notifier without ever making the caller wait: each notifier
 * has its own bounded queue and its own worker, so a slow or broken receiver delays only itself.
 * Retryable failures are retried with exponential backoff and jitter; every outcome is counted
 * through `onOutcome` (the integrator maps it to `driftwatch_notifications_total{notifier,outcome}`)
 * and failures are logged with the notifier's redacted endpoint only.
 *
 * One notifier's batches are delivered in order, one at a time, so a resolution never overtakes
 * the firing notification it resolves. When a queue is full the oldest batch is dropped: the
 * newest alerts carry the current state, which is what an operator needs.
 *
 * Outcomes, counted per batch (one `notify` call):
 * - `sent`: delivered, possibly after retries;
 * - `retried`: one more attempt after a retryable failure (counted per retry);
 * - `failed`: given up: not retryable, or still failing after `maxAttempts`;
 * - `dropped`: never delivered: pushed out of a full queue, or still queued at `close()`.
 *
 * @example
 * const dispatcher = new Dispatcher(notifiers, {
 *   logger: logger.child({ component: "notifiers" }),
 *   onOutcome: (notifier, outcome) => notificationsTotal.inc({ notifier, outcome }),
 * });
 * dispatcher.enqueue(alerts); // returns at once
 * await dispatcher.close(5_000); // on SIGTERM
 */
import { setTimeout as delay } from "node:timers/promises";
import type { Logger } from "../../log.js";
import { redact } from "./secrets.js";
import type { NotifiedAlert, Notifier, NotifyResult } from "./types.js";

/** What became of one batch at one notifier (the `outcome` label). */
export type NotificationOutcome = "sent" | "retried" | "failed" | "dropped";

/** Every outcome, so the integrator can initialise each counter series at 0. */
export const notificationOutcomes: readonly NotificationOutcome[] = ["sent", "retried", "failed", "dropped"];

/** Options of a `Dispatcher`; all but `logger` have defaults. */
export interface DispatcherOptions {
  /** Logger for failures and drops (a child per notifier is made from it). */
  readonly logger: Logger;
  /** Called once per outcome; must not throw. */
  readonly onOutcome?: (notifier: string, outcome: NotificationOutcome) => void;
  /** Batches each notifier's queue holds before the oldest is dropped (default 100). */
  readonly queueCapacity?: number;
  /** Attempts per batch, the first included (default 6: about a minute of retries with the defaults). */
  readonly maxAttempts?: number;
  /** Backoff before the first retry, in milliseconds (default 1 000); doubles each retry. */
  readonly initialBackoffMs?: number;
  /** Cap of the backoff, in milliseconds (default 30 000). */
  readonly maxBackoffMs?: number;
  /** Waits `ms`, rejecting when `signal` aborts (default: a timer); tests pass a fake. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Uniform random number in [0, 1) for jitter (default `Math.random`). */
  readonly random?: () => number;
}

/** Replaces every URL in a message by its scheme and host: a safety net for thrown errors. */
function scrubUrls(message: string): string {
  return message.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, (url) => redact(url));
}

/** Calls `notify`, turning a throw (a bug in a notifier) into a non-retryable failure. */
async function attempt(notifier: Notifier, alerts: readonly NotifiedAlert[]): Promise<NotifyResult> {
  try {
    return await notifier.notify(alerts);
  } catch (error) {
    return {
      ok: false,
      retryable: false,
      reason: `notifier threw: ${(error as Error)?.message ?? String(error)}`,
    };
  }
}

/** One notifier's queue and worker. */
class Lane {
  readonly queue: (readonly NotifiedAlert[])[] = [];
  running: Promise<void> | undefined;
  /** Whether drops have been logged since the queue last had room, so an outage logs once. */
  overflowing = false;

  constructor(
    readonly notifier: Notifier,
    readonly logger: Logger,
  ) {}
}

/** Delivers batches of alerts to notifiers in the background; see the module doc. */
export class Dispatcher {
  private readonly lanes: Lane[];
  private readonly onOutcome: (notifier: string, outcome: NotificationOutcome) => void;
  private readonly capacity: number;
  private readonly maxAttempts: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly abort = new AbortController();
  private closed = false;

  constructor(notifiers: readonly Notifier[], options: DispatcherOptions) {
    this.capacity = options.queueCapacity ?? 100;
    this.maxAttempts = options.maxAttempts ?? 6;
    this.initialBackoffMs = options.initialBackoffMs ?? 1_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    if (!(this.capacity >= 1)) throw new RangeError(`queueCapacity must be >= 1 (got ${this.capacity})`);
    if (!(this.maxAttempts >= 1)) throw new RangeError(`maxAttempts must be >= 1 (got ${this.maxAttempts})`);
    this.onOutcome = options.onOutcome ?? (() => {});
    this.sleep = options.sleep ?? ((ms, signal) => delay(ms, undefined, { signal }));
    this.random = options.random ?? Math.random;
    this.lanes = notifiers.map(
      (notifier) =>
        new Lane(notifier, options.logger.child({ notifier: notifier.name, endpoint: notifier.endpoint })),
    );
  }

  /**
   * Queues a batch for every notifier and returns at once. A full queue drops its oldest batch
   * (counted as `dropped`, logged once per overflow). After `close()`, batches are dropped.
   */
  enqueue(alerts: readonly NotifiedAlert[]): void {
    if (alerts.length === 0) return;
    const batch = [...alerts];
    for (const lane of this.lanes) {
      if (this.closed) {
        this.count(lane, "dropped");
        continue;
      }
      if (lane.queue.length >= this.capacity) {
        lane.queue.shift();
        this.count(lane, "dropped");
        if (!lane.overflowing)
          lane.logger.error("Notification queue full; dropping the oldest batches", {
            capacity: this.capacity,
          });
        lane.overflowing = true;
      }
      lane.queue.push(batch);
      if (lane.running === undefined) lane.running = this.drain(lane);
    }
  }

  /** Resolves once every queue is empty and nothing is in flight (retries included). */
  async flush(): Promise<void> {
    while (this.lanes.some((lane) => lane.running !== undefined))
      await Promise.all(this.lanes.map((lane) => lane.running));
  }

  /**
   * Stops taking batches and delivers what is queued for up to `timeoutMs`; then stops retrying,
   * drops what is still queued (counted) and waits only for requests already in flight, which
   * their own timeouts bound.
   */
  async close(timeoutMs = 5_000): Promise<void> {
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    const result = await Promise.race([this.flush().then(() => "flushed" as const), deadline]);
    clearTimeout(timer);
    if (result === "timeout") {
      this.abort.abort();
      for (const lane of this.lanes) {
        const left = lane.queue.splice(0);
        for (const _ of left) this.count(lane, "dropped");
        if (left.length > 0)
          lane.logger.error("Dropped queued notifications at shutdown", { batches: left.length });
      }
      await this.flush();
    }
  }

  /** Backoff before retry number `retry` (1-based): exponential, capped, with equal jitter. */
  backoffMs(retry: number): number {
    const ceiling = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** (retry - 1));
    // Equal jitter: half fixed so retries never bunch at 0, half random so notifiers that failed
    // together do not retry in lockstep.
    return ceiling / 2 + this.random() * (ceiling / 2);
  }

  private count(lane: Lane, outcome: NotificationOutcome): void {
    try {
      this.onOutcome(lane.notifier.name, outcome);
    } catch (error) {
      lane.logger.error("Counting a notification outcome failed", {
        outcome,
        error: (error as Error)?.message,
      });
    }
  }

  private async drain(lane: Lane): Promise<void> {
    try {
      for (let batch = lane.queue.shift(); batch !== undefined; batch = lane.queue.shift()) {
        if (lane.queue.length === 0) lane.overflowing = false;
        await this.deliver(lane, batch);
      }
    } finally {
      lane.running = undefined;
    }
  }

  private async deliver(lane: Lane, alerts: readonly NotifiedAlert[]): Promise<void> {
    for (let attemptNumber = 1; ; attemptNumber++) {
      const result = await attempt(lane.notifier, alerts);
      if (result.ok) {
        this.count(lane, "sent");
        if (attemptNumber > 1)
          lane.logger.info("Notification delivered after retries", { attempts: attemptNumber });
        return;
      }
      const reason = scrubUrls(result.reason);
      if (!result.retryable || attemptNumber >= this.maxAttempts || this.abort.signal.aborted) {
        this.count(lane, "failed");
        lane.logger.error("Notification failed; giving up", {
          reason,
          retryable: result.retryable,
          attempts: attemptNumber,
          alerts: alerts.length,
        });
        return;
      }
      const waitMs = Math.round(this.backoffMs(attemptNumber));
      lane.logger.warn("Notification failed; retrying", {
        reason,
        attempt: attemptNumber,
        retry_in_ms: waitMs,
      });
      try {
        await this.sleep(waitMs, this.abort.signal);
      } catch {
        // Shutdown deadline passed while waiting: the batch is abandoned, not failed by the receiver.
        this.count(lane, "dropped");
        lane.logger.error("Notification abandoned at shutdown", { reason, attempts: attemptNumber });
        return;
      }
      this.count(lane, "retried");
    }
  }
}
