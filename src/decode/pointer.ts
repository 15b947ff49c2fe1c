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

/**
 * The value at a compiled pointer, or undefined when any step is absent. Runs once per feature
 * per event, so it avoids `hasOwn`: a parsed JSON document holds no functions, so a function
 * found by a plain property read was inherited from Object.prototype and counts as absent; only
 * `__proto__`, the one inherited property that is not a function, needs the own-property check.
 * An array step needs a canonical index ("01" and "-1" are not indices).
 */
export function getAt(document: unknown, pointer: CompiledPointer): unknown {
  let node = document;
  for (let i = 0; i < pointer.length; i++) {
    if (node === null || typeof node !== "object") return undefined;
    const token = pointer[i];
    if (Array.isArray(node)) {
      if (!INDEX.test(token)) return undefined;
      node = node[Number(token)];
    } else {
      if (token === "__proto__" && !Object.hasOwn(node, token)) return undefined;
      node = (node as Record<string, unknown>)[token];
      if (typeof node === "function") return undefined;
    }
  }
  return node;
}

const INDEX = /^(0|[1-9]\d*)$/;

/** The value at a pointer given as text (for error messages; hot paths compile once). */
export function valueAt(document: unknown, pointer: string): unknown {
  return getAt(document, compilePointer(pointer));
}
