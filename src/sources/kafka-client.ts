import { Kafka, type LogEntry, logLevel } from "kafkajs";
import type { Logger } from "../log.js";
import { type KafkaConnection, saslOptions, tlsOptions } from "./kafka-security.js";

/**
 * A kafkajs client for a connection (TLS and SASL as configured; their files and secrets are read
 * now, so a missing one throws here) whose logs go through our logger (warnings and errors only);
 * messages matching `ignore` are dropped (a warning the caller has dealt with).
 */
export function kafkaClient(
  connection: KafkaConnection,
  clientId: string,
  log: Logger,
  ignore?: RegExp,
): Kafka {
  const ssl = tlsOptions(connection);
  const sasl = saslOptions(connection);
  return new Kafka({
    clientId,
    brokers: [...connection.brokers],
    ...(ssl === undefined ? {} : { ssl }),
    ...(sasl === undefined ? {} : { sasl }),
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
