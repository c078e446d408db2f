/** One problem in the contracts file; `line`/`col` are 1-based, null when unknown. */
export interface ConfigIssue {
  /** field path as in the YAML, e.g. `contracts[0].gainshare.provider_share`; `(root)` for the document */
  path: string;
  message: string;
  line: number | null;
  col: number | null;
}

export function formatIssue(file: string, issue: ConfigIssue): string {
  const where = issue.line === null ? '' : ` (line ${issue.line}, col ${issue.col ?? 1})`;
  return `${file}: ${issue.path}: ${issue.message}${where}`;
}

/**
 * An invalid contracts file. `message` holds every issue, one per line, each naming the file
 * and the field; `issues` has them structured for `--json` output.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly file: string;
  readonly issues: readonly ConfigIssue[];

  constructor(file: string, issues: readonly ConfigIssue[]) {
    super(issues.map((i) => formatIssue(file, i)).join('\n'));
    this.file = file;
    this.issues = issues;
  }
}
