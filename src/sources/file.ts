import { type FileHandle, open } from "node:fs/promises";
import { extname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { DEFAULT_MAX_EVENT_BYTES } from "../decode/limits.js";
import { UserError } from "../errors.js";
import { parseDecimal } from "../io/columns.js";
import { readHeader } from "../io/csv.js";
import { type CsvRow, fieldText, tokenizeCsv } from "../io/csv-tokenizer.js";
import { readLines } from "./lines.js";
import { type BatchHandler, RejectedRecord, type Source, type SourceRecord } from "./source.js";

const BATCH = 500;

/**
 * Replays a JSON Lines or CSV file as events, optionally at `rate_per_sec`. The position of a
 * record is its physical line, so a restart resumes after the last checkpointed line. CSV rows
 * become objects keyed by the header: numbers where the field is a decimal number, text
 * otherwise, absent where the field is empty.
 *
 * @example
 *   const source = new FileSource("replay", { path: "events.jsonl" });
 *   await source.start(async (records) => console.log(records.length), {});
 *   await source.finished;
 */
export class FileSource implements Source {
  readonly finished: Promise<void>;
  private resolveFinished!: () => void;
  private rejectFinished!: (error: unknown) => void;
  private stopping = false;
  private running: Promise<void> | null = null;
  private readonly format: "jsonl" | "csv";
  private readonly key: string;

  constructor(
    readonly name: string,
    private readonly options: {
      readonly path: string;
      readonly format?: "jsonl" | "csv";
      readonly rate_per_sec?: number;
      readonly max_event_bytes?: number;
    },
  ) {
    this.finished = new Promise((resolve, reject) => {
      this.resolveFinished = resolve;
      this.rejectFinished = reject;
    });
    // Callers that never await `finished` must not see an unhandled rejection; `start` reports errors too.
    this.finished.catch(() => {});
    this.format = options.format ?? (extname(options.path).toLowerCase() === ".csv" ? "csv" : "jsonl");
    this.key = "line";
  }

  async start(handler: BatchHandler, positions: Readonly<Record<string, number>>): Promise<void> {
    const from = positions[this.key] ?? 0;
    this.running = (
      this.format === "csv" ? this.replayCsv(handler, from) : this.replayJsonl(handler, from)
    ).then(
      () => this.resolveFinished(),
      (error) => {
        this.rejectFinished(error);
      },
    );
  }

  /** Hands a batch to the handler at the configured rate. */
  private async deliver(handler: BatchHandler, records: SourceRecord[]): Promise<void> {
    const rate = this.options.rate_per_sec;
    if (rate === undefined) {
      if (records.length > 0) await handler(records);
      return;
    }
    // Small slices so that the rate holds within a tenth of a second.
    const slice = Math.max(1, Math.round(rate / 10));
    for (let i = 0; i < records.length && !this.stopping; i += slice) {
      const started = Date.now();
      const part = records.slice(i, i + slice);
      await handler(part);
      const wait = (part.length / rate) * 1000 - (Date.now() - started);
      if (wait > 0) await sleep(wait);
    }
  }

  /** Opens the replayed file, or fails in one line naming it and the errno. */
  private async open(): Promise<FileHandle> {
    try {
      return await open(this.options.path, "r");
    } catch (error) {
      throw new UserError(
        `${this.options.path}: cannot open: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
    }
  }

  private async replayJsonl(handler: BatchHandler, from: number): Promise<void> {
    const handle = await this.open();
    const max = this.options.max_event_bytes ?? DEFAULT_MAX_EVENT_BYTES;
    let batch: SourceRecord[] = [];
    try {
      for await (const line of readLines(handle, max)) {
        if (this.stopping) break;
        const offset = line.index;
        if (offset < from) continue;
        if (line.oversize !== undefined) {
          // Never assembled: only its first bytes go to the dead letter, with its true length.
          batch.push({
            value: line.oversize.head,
            parsed: new RejectedRecord(
              "too_large",
              `line ${offset + 1}: ${line.oversize.bytes} bytes, more than the limit of ${max}; the dead letter keeps the first ${max}`,
            ),
            position: { key: this.key, offset },
          });
        } else if (line.text.trim() !== "") {
          // The bytes themselves when they are not UTF-8, so a dead letter keeps them exactly.
          batch.push({ value: line.raw ?? line.text, position: { key: this.key, offset } });
        } else continue;
        if (batch.length >= BATCH) {
          await this.deliver(handler, batch);
          batch = [];
        }
      }
      if (!this.stopping) await this.deliver(handler, batch);
    } finally {
      await handle.close();
    }
  }

  private async replayCsv(handler: BatchHandler, from: number): Promise<void> {
    const handle = await this.open();
    let names: string[] | null = null;
    let pending: SourceRecord[] = [];
    const onRow = (row: CsvRow, line: number): void => {
      if (names === null) {
        names = readHeader(this.options.path, row, line);
        return;
      }
      // Lines are 1-based in messages; positions count from 0 like JSON Lines'.
      const offset = line - 1;
      if (offset < from) return;
      if (row.count !== names.length) {
        // A malformed row is an invalid event, not the end of the replay: the pipeline dead-letters it.
        const raw = Array.from({ length: row.count }, (_, i) => fieldText(row, i)).join(",");
        pending.push({
          value: raw,
          parsed: new RejectedRecord(
            "malformed_csv",
            `line ${line}: expected ${names.length} fields, found ${row.count}`,
          ),
          position: { key: this.key, offset },
        });
        return;
      }
      const event: Record<string, string | number> = {};
      for (let i = 0; i < row.count; i++) {
        if (row.starts[i] === row.ends[i] && row.quoted[i] === 0) continue;
        const text = fieldText(row, i);
        const number = row.quoted[i] === 0 ? parseDecimal(text) : Number.NaN;
        event[names[i]] = Number.isNaN(number) ? text : number;
      }
      pending.push({
        value: Array.from({ length: row.count }, (_, i) => fieldText(row, i)).join(","),
        parsed: event,
        position: { key: this.key, offset },
      });
    };
    try {
      await tokenizeCsv(this.options.path, handle, onRow, {
        chunkBytes: 1 << 20,
        onChunkEnd: async () => {
          const records = pending;
          pending = [];
          for (let i = 0; i < records.length && !this.stopping; i += BATCH)
            await this.deliver(handler, records.slice(i, i + BATCH));
          if (this.stopping) throw new StopReplay();
        },
      });
    } catch (error) {
      if (!(error instanceof StopReplay)) throw error;
    } finally {
      await handle.close();
    }
  }

  async commit(): Promise<void> {
    // The checkpoint itself is the file source's committed position.
  }

  async drain(): Promise<void> {
    this.stopping = true;
    await this.running?.catch(() => {});
  }

  async stop(): Promise<void> {
    await this.drain();
  }
}

class StopReplay extends Error {}
