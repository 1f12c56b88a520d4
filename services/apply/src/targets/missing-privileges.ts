/** A privilege apply lacks on the target, and the statement that grants it. */
export interface PrivilegeProblem {
  problem: string;
  fix: string;
}

/**
 * Apply stops on it, at start or on the first write the target refuses: a missing privilege is a
 * configuration problem, not a bad record (dead letters would lose every row) nor a passing one
 * (retries would never end). The refused batch was rolled back, so a restart after the fix resumes
 * with nothing lost.
 */
export class MissingPrivilegeError extends Error {
  constructor(readonly problems: PrivilegeProblem[]) {
    super(
      `apply lacks privileges on the target (nothing after the last committed batch was applied; restart apply after the fix):\n` +
        problems.map((p) => `  - ${p.problem}; fix: ${p.fix}`).join('\n'),
    );
    this.name = 'MissingPrivilegeError';
  }
}
