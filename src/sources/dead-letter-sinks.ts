import { join, resolve } from "node:path";
import { UserError } from "../errors.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/metrics.js";
import type { SourceConfig } from "./config.js";
import { type DeadLetterSink, FileDeadLetter, KafkaDeadLetter } from "./dead-letter.js";
import { sourceKind } from "./registry.js";

/** What opening a dead-letter destination may use. */
export interface DeadLetterContext {
  /** The state directory, home of the default dead-letter file. */
  readonly stateDir: string;
  /** Resolves a path of the config file (relative to the config file). */
  readonly resolvePath: (path: string) => string;
  /**
   * Stable across restarts of this instance, distinct between instances: a topic's transactional
   * id is made of it, so that a restart fences its own previous incarnation and no one else.
   */
  readonly instance: string;
  readonly log: Logger;
  readonly metrics: Metrics;
}

/**
 * A source's dead-letter destination before it is opened: `key` says which sources share one
 * writer (those naming the same file), `open` makes the sink.
 */
export interface DeadLetterDestination {
  readonly key: string;
  open(): DeadLetterSink;
}

/** A Kafka topic on the brokers the source reads; one producer per source, for its transactions. */
function topic(
  name: string,
  config: SourceConfig,
  dl: { readonly topic: string },
  context: DeadLetterContext,
) {
  const origin = sourceKind(config).kafka?.(config);
  return {
    key: `kafka:${dl.topic}#${name}`,
    open: () =>
      new KafkaDeadLetter(
        {
          brokers: origin?.brokers ?? [],
          ...(origin?.tls === undefined ? {} : { tls: origin.tls }),
          ...(origin?.sasl === undefined ? {} : { sasl: origin.sasl }),
          resolvePath: context.resolvePath,
        },
        dl.topic,
        {
          transactionalId: `driftwatch-dead-letter-${context.instance}-${name}`,
          progressGroup: `${origin?.groupId ?? name}.dead-letter.${dl.topic}`,
          sourceTopics: origin?.topics ?? [],
        },
        context.log,
      ),
  };
}

/** A JSON Lines file, shared by every source that names it. */
function file(path: string, context: DeadLetterContext): DeadLetterDestination {
  const absolute = resolve(path);
  return {
    key: `file:${absolute}`,
    open: () => {
      let sink: DeadLetterSink;
      try {
        sink = new FileDeadLetter(absolute, context.log, (outcome) =>
          context.metrics.deadLetterRestoresTotal.inc({ file: absolute, outcome }),
        );
      } catch (error) {
        const reason = (error instanceof Error ? error.message : String(error)).split("\n")[0];
        throw new UserError(`${absolute}: cannot open the dead-letter file: ${reason}`);
      }
      for (const outcome of ["rolled_back", "short", "torn"] as const)
        context.metrics.deadLetterRestoresTotal.inc({ file: absolute, outcome }, 0);
      return sink;
    },
  };
}

/**
 * The dead-letter destination of a source: a Kafka topic, a file, or by default
 * `STATE_DIR/dead-letter-SOURCE.jsonl` (rejected events are never dropped silently). The config
 * loader has already refused a topic on a source that reads no Kafka cluster.
 */
export function deadLetterDestination(
  name: string,
  config: SourceConfig,
  context: DeadLetterContext,
): DeadLetterDestination {
  const dl = config.dead_letter;
  if (dl !== undefined && "topic" in dl) return topic(name, config, dl, context);
  return file(
    dl === undefined ? join(context.stateDir, `dead-letter-${name}.jsonl`) : context.resolvePath(dl.path),
    context,
  );
}
