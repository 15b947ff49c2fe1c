import type { Labels } from "./types.js";

const OFFSET = 0xcbf29ce484222325n;
const PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;
// Prometheus separates names and values with 0xff, a byte that never occurs in UTF-8.
const SEPARATOR = 0xff;

/**
 * The identity of an alert: FNV-1a 64 over the label names in sorted order, each followed by its
 * value, with a 0xff byte after each (the scheme of Prometheus's `model.LabelSet.Fingerprint`),
 * as 16 hex digits. Key order does not matter; any change of a name or value gives another alert.
 *
 * @example
 *   fingerprint({ alertname: "FeatureDrift", monitor: "orders" }) === fingerprint({ monitor: "orders", alertname: "FeatureDrift" })
 */
export function fingerprint(labels: Labels): string {
  const encoder = new TextEncoder();
  let hash = OFFSET;
  const mix = (byte: number) => {
    hash = ((hash ^ BigInt(byte)) * PRIME) & MASK;
  };
  for (const name of Object.keys(labels).sort()) {
    for (const byte of encoder.encode(name)) mix(byte);
    mix(SEPARATOR);
    for (const byte of encoder.encode(labels[name])) mix(byte);
    mix(SEPARATOR);
  }
  return hash.toString(16).padStart(16, "0");
}
