import type { OutlierMonitor, OutlierMonitorState, OutlierResult, OutlierScore } from "./monitor.js";
import type { ScoringThread, Ticket } from "./scoring-thread.js";

/** Rows per block sent to the worker. */
const BLOCK_ROWS = 256;
/** Blocks in flight at most: past it the oldest is scored on the main thread (the worker is behind). */
const MAX_IN_FLIGHT = 16;

/** Events queued for scoring: as the monitor takes them, and as the worker is sent them. */
interface Block {
  readonly rows: (number | null)[][];
  readonly ids: (string | null)[];
  readonly nows: number[];
  readonly times: (number | null)[];
  /** The same rows for the worker, NaN for a missing value (transferred when sent). */
  readonly values: Float64Array;
  /** The monitor's models when the block was sent, which the worker scores it with. */
  version: number;
  ticket: Ticket | null;
}

/** An outlier monitor's state with the results of windows closed but not yet handed out. */
export type DeferredState = OutlierMonitorState & { readonly unreported?: OutlierResult[] };

/**
 * An outlier monitor whose events are scored on a worker thread, in blocks, while the main thread
 * goes on with the next batch: the second core takes the scorers' work (the Isolation Forest's
 * trees) off the event loop. Without a thread, every event is scored as it is added.
 *
 * Every event is applied to the monitor in arrival order, exactly as {@link OutlierMonitor#add}
 * would, only later: when its block's scores are back (at the next event, tick or checkpoint),
 * with the worker's scores if the monitor's models are still those the worker used, else scored
 * here. So the windows, tallies and results are the same numbers a monitor scoring on the main
 * thread gives; a window's result comes up to one tick (1 s) after its last event.
 *
 * Before anything that needs the monitor as of every event added (its state for a checkpoint, a
 * tick of processing-time windows, the end of a replay, setting a reference), the queued events
 * are applied at once, the missing scores computed here. Results that this produces outside `add`
 * and `tick` are kept, in the state too, and handed out by the next call that returns results.
 */
export class DeferredScoring {
  private open: Block | null = null;
  /** Blocks sent, oldest first. */
  private readonly inFlight: Block[] = [];
  private readonly unreported: OutlierResult[];
  /** The worker's key for the models of `keyVersion`. */
  private key: string | null = null;
  private keyVersion = -1;
  private readonly d: number;

  constructor(
    readonly monitor: OutlierMonitor,
    /** Null scores every event on the main thread as it is added. */
    private readonly thread: ScoringThread | null,
    /** Called with the scores of every event as it is applied (the score histogram, the outlier counter). */
    private readonly observe: (scores: readonly OutlierScore[]) => void,
    unreported: readonly OutlierResult[] = [],
  ) {
    this.d = monitor.config.features.length;
    this.unreported = [...unreported];
  }

  /** Queues one event (applied at once while the reference fills) and applies what is scored. */
  add(row: (number | null)[], now: number, eventTime: number | null, id: string | null): OutlierResult[] {
    const out = this.unreported.splice(0);
    this.applyScored(out);
    const direct = this.thread === null || this.monitor.fittedModels === null;
    if (direct && this.open === null && this.inFlight.length === 0) {
      const { scores, closed } = this.monitor.addRow(row, now, eventTime, id, null);
      this.observe(scores);
      out.push(...closed);
      return out;
    }
    this.open ??= this.newBlock();
    const block = this.open;
    const k = block.rows.length;
    block.rows.push(row);
    block.ids.push(id);
    block.nows.push(now);
    block.times.push(eventTime);
    for (let j = 0; j < this.d; j++) block.values[k * this.d + j] = row[j] ?? Number.NaN;
    if (block.rows.length === BLOCK_ROWS) this.send();
    // The worker is behind: the oldest block is scored here rather than let the queue grow.
    while (this.inFlight.length > MAX_IN_FLIGHT) this.apply(this.inFlight.shift() as Block, out);
    return out;
  }

  /** Sends the block being filled: the end of a batch, so that it is scored while the next one is read. */
  endBatch(): void {
    if (this.open !== null) this.send();
  }

  /** True on a worker: a tick applies what came back while no event arrives. */
  get needsTick(): boolean {
    return this.thread !== null || this.monitor.needsTick;
  }

  get lateEvents(): number {
    return this.monitor.lateEvents;
  }

  get referenceEvents(): number {
    return this.monitor.referenceEvents;
  }

  get reference(): string {
    return this.monitor.reference;
  }

  /** Applies what is scored; with processing-time windows, every queued event, then closes those due. */
  tick(now: number): OutlierResult[] {
    const out = this.unreported.splice(0);
    if (!this.monitor.needsTick) {
      this.applyScored(out);
      return out;
    }
    this.applyAll(out);
    out.push(...this.monitor.tick(now));
    return out;
  }

  /** Applies every queued event, then closes the open window (the end of a replay). */
  flush(now: number): OutlierResult[] {
    const out = this.unreported.splice(0);
    this.applyAll(out);
    out.push(...this.monitor.flush(now));
    return out;
  }

  /** Applies every queued event, keeping the results it gives for the next call that returns results. */
  applyQueued(): void {
    this.applyAll(this.unreported);
  }

  /** Applies every queued event and hands out every result not handed out yet (before the pipeline stops). */
  settle(): OutlierResult[] {
    const out = this.unreported.splice(0);
    this.applyAll(out);
    return out;
  }

  /** The monitor's state as of every event added, with the results not handed out yet. */
  get state(): DeferredState {
    this.applyQueued();
    const state = this.monitor.state;
    return this.unreported.length === 0 ? state : { ...state, unreported: [...this.unreported] };
  }

  private newBlock(): Block {
    return {
      rows: [],
      ids: [],
      nows: [],
      times: [],
      values: new Float64Array(BLOCK_ROWS * this.d),
      version: -1,
      ticket: null,
    };
  }

  private send(): void {
    const block = this.open as Block;
    this.open = null;
    this.inFlight.push(block);
    const models = this.monitor.fittedModels;
    if (this.thread === null || models === null) return;
    // The models in use now are the ones the block will meet unless an earlier block refits them
    // (checked row by row when it is applied).
    block.version = this.monitor.version;
    if (this.keyVersion !== block.version) {
      if (this.key !== null) this.thread.drop(this.key);
      this.key = this.thread.register(models);
      this.keyVersion = block.version;
    }
    block.ticket = this.thread.score(this.key as string, block.values, block.rows.length, this.d);
  }

  /** Applies the blocks at the head of the queue whose scores are back (or will never come). */
  private applyScored(out: OutlierResult[]): void {
    if (this.inFlight.length === 0) return;
    this.thread?.poll();
    while (this.inFlight.length > 0) {
      const ticket = this.inFlight[0].ticket;
      if (ticket !== null && ticket.scores === null && !ticket.failed) return;
      this.apply(this.inFlight.shift() as Block, out);
    }
  }

  private applyAll(out: OutlierResult[]): void {
    // Whatever has come back is used; the rest is scored here.
    if (this.inFlight.length > 0) this.thread?.poll();
    for (const block of this.inFlight.splice(0)) this.apply(block, out);
    if (this.open !== null) {
      const block = this.open;
      this.open = null;
      this.apply(block, out);
    }
  }

  /**
   * Adds a block's events to the monitor in order: with the worker's scores while the monitor's
   * models are those the worker used (a `window:N` reference can refit them mid-block), else
   * scored here.
   */
  private apply(block: Block, out: OutlierResult[]): void {
    const scores = block.ticket?.scores ?? null;
    const s = scores === null ? 0 : scores.length / block.rows.length;
    for (let k = 0; k < block.rows.length; k++) {
      const own = scores !== null && this.monitor.version === block.version;
      const result = this.monitor.addRow(
        block.rows[k],
        block.nows[k],
        block.times[k],
        block.ids[k],
        own ? scores.subarray(k * s, (k + 1) * s) : null,
      );
      this.observe(result.scores);
      for (const closed of result.closed) out.push(closed);
    }
  }
}
