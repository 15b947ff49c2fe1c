import { readFileSync } from "node:fs";

// Files and secrets a config names (certificates, passwords, tokens), read with errors that name
// the file or the variable and why, never the content: these messages end up in logs.

/** Reads a file the config names; the error names `what`, the file and the errno. */
export function readNamedFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new Error(
      `${what} ${path}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
}

/**
 * A secret from its environment variable, or else its file (a final newline dropped); undefined
 * when neither is named. An unset or empty variable, or an unreadable file, throws.
 */
export function readSecret(
  env: string | undefined,
  file: string | undefined,
  resolvePath: (path: string) => string,
): string | undefined {
  if (env !== undefined) {
    const value = process.env[env];
    if (value === undefined || value === "") throw new Error(`environment variable ${env} is not set`);
    return value;
  }
  if (file === undefined) return undefined;
  return readNamedFile(resolvePath(file), "secret file")
    .toString("utf8")
    .replace(/\r?\n$/, "");
}
