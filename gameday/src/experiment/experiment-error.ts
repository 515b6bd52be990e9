/** One problem in an experiment file: where (a JSON pointer, `/load/rate`) and what. */
export interface ExperimentIssue {
  readonly path: string;
  readonly message: string;
}

/** Error codes of the harness: callers (the CLI) match on `code`, never on the message. */
export type GamedayErrorCode =
  | 'GAMEDAY_ERR_EXPERIMENT_INVALID'
  | 'GAMEDAY_ERR_EXPERIMENT_NOT_FOUND'
  | 'GAMEDAY_ERR_SLO_INVALID'
  | 'GAMEDAY_ERR_USAGE';

/** Why an experiment could not run (the CLI exits 2); `issues` lists every problem found at once. */
export class GamedayError extends Error {
  readonly code: GamedayErrorCode;
  readonly issues: readonly ExperimentIssue[];

  constructor(code: GamedayErrorCode, message: string, issues: readonly ExperimentIssue[] = []) {
    super(issues.length === 0 ? message : `${message}:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
    this.name = 'GamedayError';
    this.code = code;
    this.issues = issues;
  }
}
