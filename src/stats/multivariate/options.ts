/**
 * Refuses option keys a multivariate test does not have, naming the known ones: the check every
 * test's `options` starts with (the config schema refuses them first; this guards direct callers).
 */
export function refuseUnknownOptions(
  test: string,
  partial: Readonly<Record<string, unknown>>,
  known: Iterable<string>,
): void {
  const keys = new Set(known);
  for (const key of Object.keys(partial))
    if (!keys.has(key))
      throw new RangeError(
        `${test} has no option ${JSON.stringify(key)} (unknown option); known options: ${[...keys].join(", ")}`,
      );
}
