/**
 * PostgreSQL's one-dimensional array literal: '{1,NULL,"a b","q\"uote"}'. An unquoted NULL is
 * null; a quoted "NULL" is the text NULL.
 */
export function parsePgArray(text: string): (string | null)[] {
  if (text.startsWith('[')) throw new Error(`array ${text.slice(0, 40)} has explicit bounds; only 1-based one-dimensional arrays are supported`);
  if (!text.startsWith('{') || !text.endsWith('}')) throw new Error(`"${text.slice(0, 40)}" is not an array literal`);
  const inner = text.slice(1, -1);
  if (inner.length === 0) return [];
  const items: (string | null)[] = [];
  let i = 0;
  while (i <= inner.length) {
    if (inner[i] === '{') throw new Error('multi-dimensional arrays are not supported');
    if (inner[i] === '"') {
      let value = '';
      i++;
      while (i < inner.length && inner[i] !== '"') {
        if (inner[i] === '\\') i++;
        value += inner[i++];
      }
      items.push(value);
      i += 2; // closing quote and the comma
    } else {
      const end = inner.indexOf(',', i);
      const raw = inner.slice(i, end === -1 ? inner.length : end).trim();
      items.push(raw === 'NULL' ? null : raw);
      i = end === -1 ? inner.length + 1 : end + 1;
    }
  }
  return items;
}

export function formatPgArray(items: (string | null)[]): string {
  return `{${items.map((v) => (v === null ? 'NULL' : `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)).join(',')}}`;
}
