/** Exit codes: scripts tell "the command was wrong" (2) apart from "the command ran and failed" (1). */
export const ExitCode = {
  Ok: 0,
  Failure: 1,
  Usage: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The command line itself is wrong in a way commander cannot see (e.g. `--vcpus` without `--memory`). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The command ran but did not achieve what was asked (an instance ended Failed, a wait timed out). */
export class CommandFailedError extends Error {
  override readonly name = 'CommandFailedError';
}
