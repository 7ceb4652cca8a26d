/**
 * Errors that a user can act on. Every input problem names the file, the field and what was
 * expected, so the CLI can print one clear line instead of a stack trace.
 */

export interface InputErrorDetails {
  /** The file (or directory) that holds the bad input. */
  file?: string;
  /** The field, column, key or line that is wrong. */
  field?: string;
  /** What was expected there. */
  expected?: string;
  /** What was found instead (shortened by the caller if long). */
  found?: string;
  /** How to fix it, when there is a known remedy. */
  hint?: string;
}

/** An error caused by input or configuration, not by a bug: the CLI prints its message alone. */
export class EadroError extends Error {
  readonly details: InputErrorDetails;

  constructor(message: string, details: InputErrorDetails = {}) {
    super(formatMessage(message, details));
    this.name = 'EadroError';
    this.details = details;
  }
}

function formatMessage(message: string, d: InputErrorDetails): string {
  const parts = [message];
  if (d.file !== undefined) parts.push(`file: ${d.file}`);
  if (d.field !== undefined) parts.push(`field: ${d.field}`);
  if (d.expected !== undefined) parts.push(`expected: ${d.expected}`);
  if (d.found !== undefined) parts.push(`found: ${d.found}`);
  if (d.hint !== undefined) parts.push(`hint: ${d.hint}`);
  return parts.join('\n  ');
}

/** Shorten a value for an error message. */
export function preview(value: unknown, max = 120): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** What a file-system error code means, in the words of our error block. */
const FS_EXPECTED: Record<string, string> = {
  ENOENT: 'an existing file or folder',
  EACCES: 'read (or write) permission',
  EPERM: 'permission for this operation',
  ENOTDIR: 'a folder',
  EISDIR: 'a file, not a folder',
  EEXIST: 'a path not already taken',
  ENOSPC: 'free disk space',
  EMFILE: 'fewer files open at once',
};

/**
 * A Node file-system error (`ENOENT: no such file or directory, stat '...'`) as an EadroError naming
 * the file and what was expected, or null when `err` is not one.
 */
export function fileSystemError(err: unknown): EadroError | null {
  const e = err as NodeJS.ErrnoException | null;
  if (e === null || typeof e !== 'object' || typeof e.code !== 'string' || !(e.code in FS_EXPECTED)) return null;
  const what = e.code === 'ENOENT' ? 'A file or folder does not exist.' : `The file system refused: ${e.code}.`;
  return new EadroError(what, {
    ...(typeof e.path === 'string' ? { file: e.path } : {}),
    expected: FS_EXPECTED[e.code],
    found: e.code,
  });
}
