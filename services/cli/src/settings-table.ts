import { describeSettings, type Command } from '@paysync/config';

/** The README's configuration table: every setting of every command, once, with the commands using it. */
export function settingsMarkdown(commands: readonly Command[]): string {
  const rows = new Map<string, { usedBy: string[]; defaultText: string; description: string; example: string }>();
  for (const command of commands) {
    for (const d of describeSettings(command.settings)) {
      const row = rows.get(d.env) ?? { usedBy: [], defaultText: d.defaultText, description: d.description, example: d.example };
      row.usedBy.push(command.name);
      rows.set(d.env, row);
    }
  }
  const escape = (s: string): string => s.replace(/\|/g, '\\|');
  const lines = ['| Setting | Default | Used by | Meaning | Example |', '|---|---|---|---|---|'];
  for (const [env, row] of rows) {
    lines.push(`| \`${env}\` | ${escape(row.defaultText)} | ${row.usedBy.join(', ')} | ${escape(row.description)} | \`${escape(row.example)}\` |`);
  }
  return lines.join('\n');
}
