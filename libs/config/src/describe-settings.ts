import type { Settings } from './load-config';

export interface SettingDescription {
  env: string;
  required: boolean;
  defaultText: string;
  description: string;
  example: string;
}

export function describeSettings(settings: Settings): SettingDescription[] {
  return Object.values(settings).map((s) => ({
    env: s.env,
    required: s.required,
    defaultText: s.defaultValue === undefined ? (s.required ? '(required)' : '(unset)') : formatDefault(s.defaultValue),
    description: s.description,
    example: s.example,
  }));
}

function formatDefault(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

/** Plain text for `--help`: one block per setting. */
export function settingsHelp(settings: Settings): string {
  return describeSettings(settings)
    .map((d) => `  ${d.env}  [${d.defaultText}]\n      ${d.description}\n      e.g. ${d.example}`)
    .join('\n');
}
