/**
 * JSON pointers (RFC 6901) compiled once at load into their reference tokens, so that feature
 * extraction per event is a few property reads.
 */
export type CompiledPointer = readonly string[];

/** Splits a pointer into unescaped tokens; "" is the whole document. */
export function compilePointer(pointer: string): CompiledPointer {
  if (pointer === "") return [];
  if (!pointer.startsWith("/"))
    throw new RangeError(`JSON pointer must start with "/" (got ${JSON.stringify(pointer)})`);
  return pointer
    .slice(1)
    .split("/")
    .map((token) => token.replaceAll("~1", "/").replaceAll("~0", "~"));
}

/** The value at a compiled pointer, or undefined when any step is absent. */
export function getAt(document: unknown, pointer: CompiledPointer): unknown {
  let node = document;
  for (const token of pointer) {
    if (node === null || typeof node !== "object") return undefined;
    if (Array.isArray(node)) {
      if (!/^(0|[1-9]\d*)$/.test(token)) return undefined;
      node = node[Number(token)];
    } else {
      if (!Object.hasOwn(node, token)) return undefined;
      node = (node as Record<string, unknown>)[token];
    }
  }
  return node;
}
