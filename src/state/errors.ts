import { UserError } from "../errors.js";

/**
 * An errno error in one fragment, `ENOSPC: no space left on device`: Node's message without the
 * syscall and path it appends, so the caller can name the path once.
 */
export function describeErrno(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const errno = /^(E[A-Z0-9]+): ([^,\n]*)/.exec(message);
  if (errno) return `${errno[1]}: ${errno[2]}`;
  return message.split("\n")[0];
}

/**
 * The state dir cannot be created or written (read-only file system, permissions): the daemon
 * could never checkpoint, so it does not start.
 */
export class StateDirError extends UserError {
  constructor(
    readonly dir: string,
    cause: unknown,
  ) {
    super(`state dir ${dir} is not writable (${describeErrno(cause)})`);
  }
}

/**
 * A checkpoint could not be written (disk full, I/O error). The write cleaned up after itself and
 * the previous generation is intact, so the store is ready for the next attempt.
 */
export class CheckpointWriteError extends UserError {
  /** The errno code (`ENOSPC`), when the cause had one. */
  readonly code: string | undefined;

  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(`checkpoint not saved: ${path}: ${describeErrno(cause)}`);
    this.code = (cause as NodeJS.ErrnoException | undefined)?.code;
  }
}

/**
 * Checkpoint files exist but none is usable, and starting afresh was not asked for: one line
 * naming the state dir, each file with its generation, and what is wrong with it.
 */
export class CheckpointUnusable extends UserError {
  constructor(
    readonly dir: string,
    readonly problems: readonly string[],
  ) {
    super(
      `state dir ${dir} has no usable checkpoint: ${problems.join("; ")}; ` +
        "run with --reset-state to set the damaged files aside and start afresh",
    );
  }
}
