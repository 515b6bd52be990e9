/** How an invariant fared: held, broken, or not checked (with the reason in `summary`: never a silent pass). */
export type Verdict = 'pass' | 'fail' | 'not-run';

/** One oracle's answer, with the evidence a person needs to believe it. */
export interface OracleResult {
  readonly name: string;
  readonly verdict: Verdict;
  readonly summary: string;
  readonly evidence: Record<string, unknown>;
}
