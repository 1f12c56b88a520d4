/** The flags of `paysync snapshot`. */
export interface SnapshotFlags {
  table: string;
  /** null: every row. */
  where: string | null;
  wait: boolean;
}

/** The flags, or what is wrong with them (one line). `--name value` and `--name=value` both work. */
export function parseSnapshotFlags(args: readonly string[]): SnapshotFlags | string {
  const values = new Map<string, string>();
  let wait = false;
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].startsWith('--') && args[i].includes('=') ? [args[i].slice(0, args[i].indexOf('=')), args[i].slice(args[i].indexOf('=') + 1)] : [args[i], undefined];
    if (flag === '--wait' && inline === undefined) wait = true;
    else if (flag === '--table' || flag === '--where') {
      const value = inline ?? args[++i];
      if (value === undefined) return `${flag} needs a value`;
      if (values.has(flag)) return `${flag} is given twice`;
      values.set(flag, value);
    } else return `unknown argument ${JSON.stringify(args[i])} (the flags are --table schema.table, --where "condition" and --wait)`;
  }
  const table = values.get('--table');
  if (table === undefined) return '--table schema.table is required';
  return { table, where: values.get('--where') ?? null, wait };
}
