/**
 * PostgreSQL's one-dimensional array literal: '{1,NULL,"a b","q\"uote"}'. An unquoted NULL is
 * null; a quoted "NULL" is the text NULL. Only what array_out prints is accepted (delimiter ',');
 * anything else is refused rather than guessed, so a value is never silently split wrongly.
 */
export function parsePgArray(text: string): (string | null)[] {
  if (text.startsWith('[')) throw new Error(`array ${text.slice(0, 40)} has explicit bounds; only 1-based one-dimensional arrays are supported`);
  if (!text.startsWith('{') || !text.endsWith('}')) throw new Error(`"${text.slice(0, 40)}" is not an array literal`);
  const end = text.length - 1;
  if (end === 1) return [];
  const items: (string | null)[] = [];
  let i = 1;
  for (;;) {
    if (text[i] === '{') throw new Error('multi-dimensional arrays are not supported');
    if (text[i] === '"') {
      let value = '';
      i++;
      while (i < end && text[i] !== '"') {
        if (text[i] === '\\') i++;
        value += text[i++];
      }
      if (i >= end) throw new Error(`unterminated quoted element in array ${text.slice(0, 40)}`);
      items.push(value);
      i++; // the closing quote
    } else {
      let stop = text.indexOf(',', i);
      if (stop === -1 || stop > end) stop = end;
      const raw = text.slice(i, stop);
      items.push(raw === 'NULL' ? null : raw);
      i = stop;
    }
    if (i === end) return items;
    if (text[i] !== ',') throw new Error(`unexpected "${text[i]}" at position ${i} in array ${text.slice(0, 40)}`);
    i++;
  }
}

/**
 * Every element quoted (backslash and quote escaped), so no element text can be misread. Built
 * by one join, and the escapes only where an element has a quote or backslash: apply sends each
 * column of a batch as one such literal (node-postgres's own builds it by `+=` per element).
 */
export function formatPgArray(items: readonly (string | null)[]): string {
  const quoted: string[] = new Array<string>(items.length);
  for (let i = 0; i < items.length; i++) {
    const v = items[i];
    quoted[i] = v === null ? 'NULL' : v.includes('"') || v.includes('\\') ? `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : `"${v}"`;
  }
  return `{${quoted.join(',')}}`;
}
