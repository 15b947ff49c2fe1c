import { MessageChannel, type MessagePort, receiveMessageOnPort, type Worker } from "node:worker_threads";
import { startWorker, workerUrl } from "../worker.js";

/** What the scoring worker is sent. */
export type ScoringMessage =
  | {
      readonly type: "models";
      readonly key: string;
      readonly scorers: readonly { readonly type: string; readonly model: unknown }[];
    }
  | { readonly type: "drop"; readonly key: string }
  | { readonly type: "ping"; readonly id: number }
  | {
      readonly type: "score";
      readonly id: number;
      readonly key: string;
      /** n rows of d values, row after row; NaN for a missing value. */
      readonly rows: Float64Array;
      readonly n: number;
      readonly d: number;
    };

/** A block sent to be scored: its scores (row after row, scorer after scorer) once they are back. */
export interface Ticket {
  scores: Float64Array | null;
  /** True when the scores will never come (the worker failed): score the block here instead. */
  failed: boolean;
}

const entry = workerUrl(import.meta.url, "scoring-worker");
/** Workers started in a row without one answer before the thread gives up (a worker that cannot load). */
const MAX_STARTS = 3;

/**
 * One worker thread that scores blocks of rows for every outlier monitor of the process, so that
 * the expensive scorers (an Isolation Forest walks 100 trees per event, about 6 µs) run on the
 * second core while the main thread decodes and evaluates the next batch. The scorers are the
 * registered ones, run on the same fitted models: a score from the worker is the number this
 * thread would compute, bit for bit.
 *
 * The thread never keeps the process alive (it is unref'd), and a failure is never fatal: every
 * block in flight is marked failed, for its monitor to score on the main thread, and the next
 * block starts a new worker, to which the registered models are sent again (up to three workers in
 * a row that never answer: then everything is scored on the main thread).
 */
export class ScoringThread {
  private worker: Worker | null = null;
  /** The main thread's end of the worker's port, read with `receiveMessageOnPort`. */
  private port: MessagePort | null = null;
  private nextId = 0;
  private nextKey = 0;
  private readonly waiting = new Map<number, Ticket>();
  private readonly models = new Map<string, ScoringMessage & { type: "models" }>();
  private readonly failureListeners: ((error: Error) => void)[] = [];
  /** Blocks the worker has scored so far. */
  answered = 0;
  /** Workers in a row that failed before answering: past MAX_STARTS, scoring stays on the main thread. */
  private starts = 0;

  /** Sends fitted scorers (type and model, in scorer order); blocks are then scored under the key returned. */
  register(scorers: readonly { readonly type: string; readonly model: unknown }[]): string {
    const key = `m${this.nextKey++}`;
    const message = {
      type: "models" as const,
      key,
      scorers: scorers.map(({ type, model }) => ({ type, model })),
    };
    this.models.set(key, message);
    this.post(message);
    return key;
  }

  /** Forgets the scorers of a key (after the blocks already sent under it). */
  drop(key: string): void {
    if (this.models.delete(key)) this.post({ type: "drop", key });
  }

  /** Sends n rows of d values to be scored under `key`; `rows`' buffer is transferred. */
  score(key: string, rows: Float64Array, n: number, d: number): Ticket {
    const ticket: Ticket = { scores: null, failed: false };
    const worker = this.start();
    if (worker === null) {
      ticket.failed = true;
      return ticket;
    }
    const id = this.nextId++;
    this.waiting.set(id, ticket);
    this.post({ type: "score", id, key, rows, n, d }, [rows.buffer as ArrayBuffer]);
    return ticket;
  }

  /**
   * Starts the worker if it is not running and resolves once it answers (it takes a few hundred
   * milliseconds to load): a monitor calls it when built, so that the worker is up by the time its
   * reference is fitted. Resolves false when no worker can run.
   */
  ready(): Promise<boolean> {
    const worker = this.start();
    if (worker === null) return Promise.resolve(false);
    return new Promise((resolve) => {
      // A ping is answered with an empty block.
      const ticket: Ticket = { scores: null, failed: false };
      const id = this.nextId++;
      this.waiting.set(id, ticket);
      this.post({ type: "ping", id });
      const check = (): void => {
        this.poll();
        if (ticket.scores !== null || ticket.failed) resolve(!ticket.failed);
        else setTimeout(check, 10).unref();
      };
      check();
    });
  }

  /**
   * Takes in the answers that have come back, synchronously: a monitor calls it before it applies
   * its blocks. Reading the port this way, rather than waiting for its messages on the event loop,
   * lets the answers in while a long run of batches never yields to the loop (a replay, a backlog).
   */
  poll(): void {
    const port = this.port;
    if (port === null) return;
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port))
      this.answer(m.message as { id: number; scores?: Float64Array; error?: string });
  }

  /** Calls `listener` with the error each time the worker fails (its blocks are then scored in this thread). */
  onFailure(listener: (error: Error) => void): void {
    this.failureListeners.push(listener);
  }

  /** Stops the worker (a new one starts with the next block). */
  async stop(): Promise<void> {
    const worker = this.worker;
    this.forget();
    this.failAll(null);
    await worker?.terminate();
  }

  private forget(): void {
    this.port?.close();
    this.port = null;
    this.worker = null;
  }

  private start(): Worker | null {
    if (this.worker !== null) return this.worker;
    if (this.starts >= MAX_STARTS) return null;
    this.starts++;
    let worker: Worker;
    const { port1, port2 } = new MessageChannel();
    try {
      worker = startWorker(entry, { workerData: { port: port2 }, transferList: [port2] });
    } catch (error) {
      this.failed(error as Error);
      return null;
    }
    worker.unref();
    worker.on("error", (error) => {
      if (this.worker === worker) this.forget();
      this.failAll(error);
    });
    worker.on("exit", () => {
      if (this.worker === worker) {
        this.forget();
        this.failAll(new Error("the scoring worker exited"));
      }
    });
    // Never read by a listener (see poll), so it holds nothing open.
    port1.unref();
    this.port = port1;
    this.worker = worker;
    for (const message of this.models.values()) this.post(message);
    return worker;
  }

  private post(message: ScoringMessage, transfer: ArrayBuffer[] = []): void {
    this.port?.postMessage(message, transfer);
  }

  private answer(message: { id: number; scores?: Float64Array; error?: string }): void {
    const ticket = this.waiting.get(message.id);
    if (ticket === undefined) return;
    this.waiting.delete(message.id);
    this.starts = 0;
    if (message.scores !== undefined) {
      ticket.scores = message.scores;
      if (message.scores.length > 0) this.answered++;
    } else {
      ticket.failed = true;
      this.failed(new Error(message.error ?? "no scores"));
    }
  }

  private failAll(error: Error | null): void {
    for (const ticket of this.waiting.values()) {
      ticket.failed = true;
    }
    const any = this.waiting.size > 0;
    this.waiting.clear();
    if (error !== null && any) this.failed(error);
  }

  private failed(error: Error): void {
    for (const listener of this.failureListeners) listener(error);
  }
}

let shared: ScoringThread | null = null;

/** The process's scoring thread, made on first use. */
export function scoringThread(): ScoringThread {
  shared ??= new ScoringThread();
  return shared;
}
