import { type FileHandle, open } from "node:fs/promises";
import { UserError } from "../errors.js";

/** The errno code of a failed file operation, or its message. */
const codeOf = (error: unknown): string => (error as NodeJS.ErrnoException).code ?? String(error);

/** Opens a data file for reading; a failure, or a directory, is a `UserError` naming the file. */
export async function openData(path: string): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    throw new UserError(`${path}: cannot open: ${codeOf(error)}`);
  }
  // Opening a directory succeeds; only the first read would fail, with a stack.
  if ((await handle.stat()).isDirectory()) {
    await handle.close();
    throw new UserError(`${path}: cannot open: EISDIR (a directory, not a data file)`);
  }
  return handle;
}

/** Reads from the current position into `buf[offset, offset + length)`; an I/O error names the file. */
export async function readSome(
  path: string,
  handle: FileHandle,
  buf: Uint8Array,
  offset: number,
  length: number,
): Promise<number> {
  try {
    return (await handle.read(buf, offset, length, null)).bytesRead;
  } catch (error) {
    throw new UserError(`${path}: cannot read: ${codeOf(error)}`);
  }
}
