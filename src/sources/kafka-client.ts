import { Kafka, type LogEntry, logLevel } from "kafkajs";
import type { Logger } from "../log.js";

/**
 * A kafkajs client whose logs go through our logger (warnings and errors only); messages matching
 * `ignore` are dropped (a warning the caller has dealt with).
 */
export function kafkaClient(
  brokers: readonly string[],
  clientId: string,
  log: Logger,
  ignore?: RegExp,
): Kafka {
  return new Kafka({
    clientId,
    brokers: [...brokers],
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const {
          message,
          timestamp: _t,
          logger: _l,
          ...fields
        } = entry as { message: string; [key: string]: unknown };
        if (ignore?.test(message)) return;
        log.log(level <= logLevel.ERROR ? "error" : "warn", message, { component: "kafkajs", ...fields });
      },
  });
}
