import { pythonWith } from '../test/support/python-venv';
import { log } from './bench-run';

export const DATA_DIFF_VERSION = '0.11.2';

/**
 * What pip installs. data-diff 0.11.2 (its last release) leaves dbt-core and pydantic open; the
 * newest of them break it: dbt-core 1.8+ pulls a parser whose build downloads a wheel from outside
 * the package registry, and data-diff uses the pydantic 1 API. The MySQL driver stays on the major
 * version data-diff was released against.
 */
const REQUIREMENTS = [`data-diff[postgresql,mysql]==${DATA_DIFF_VERSION}`, 'dbt-core>=1.7,<1.8', 'pydantic>=1.10.12,<2', 'mysql-connector-python>=8.0.29,<9'];

/** The venv's python (.stack/cache/data-diff-venv) with data-diff and its PostgreSQL and MySQL drivers, installed first if missing. */
export function dataDiffPython(): Promise<string> {
  return pythonWith({
    name: 'data-diff',
    requirements: REQUIREMENTS,
    probe: "import psycopg2, mysql.connector; from data_diff.version import __version__; print('data-diff', __version__)",
    expected: `data-diff ${DATA_DIFF_VERSION}`,
    log,
  });
}
