/**
 * Why an operator's `--where` text cannot be put into a chunk query as `AND (<predicate>)`, or
 * undefined when it can. The text must stay one expression inside those parentheses: closing them
 * (`x) OR (true`) would drop the chunk's key bound and turn the keyset walk into an endless loop,
 * and a `;` or a comment would end or cut the statement. Quoted strings, quoted identifiers and
 * dollar quotes are skipped, so a ')' or ';' inside them is fine. PostgreSQL judges the rest
 * (EXPLAIN in `paysync snapshot`), and capture runs it only in read-only transactions.
 */
export function predicateProblem(predicate: string): string | undefined {
  if (predicate.trim() === '') return 'is empty';
  let depth = 0;
  for (let i = 0; i < predicate.length; i++) {
    const ch = predicate[i];
    const next = predicate[i + 1];
    if (ch === "'") {
      const end = quotedEnd(predicate, i, "'", isEscapeString(predicate, i));
      if (end < 0) return 'has a string that is not closed';
      i = end;
    } else if (ch === '"') {
      const end = quotedEnd(predicate, i, '"', false);
      if (end < 0) return 'has a quoted name that is not closed';
      i = end;
    } else if (ch === '$' && !isIdentifierChar(predicate[i - 1])) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(predicate.slice(i))?.[0];
      if (tag === undefined) continue; // a parameter ($1): PostgreSQL refuses it
      const end = predicate.indexOf(tag, i + tag.length);
      if (end < 0) return `has a dollar-quoted string (${tag}) that is not closed`;
      i = end + tag.length - 1;
    } else if ((ch === '-' && next === '-') || (ch === '/' && next === '*')) {
      return 'has a comment (-- or /*), which would cut the query it is put into';
    } else if (ch === ';') {
      return 'has a ";": it must be one condition, not statements';
    } else if (ch === '(') {
      depth += 1;
    } else if (ch === ')') {
      depth -= 1;
      if (depth < 0) return 'closes a parenthesis it did not open';
    }
  }
  return depth > 0 ? 'leaves a parenthesis open' : undefined;
}

/** Index of the quote that closes the one at `start` (a doubled quote is part of the text), or -1. */
function quotedEnd(text: string, start: number, quote: string, backslashEscapes: boolean): number {
  for (let i = start + 1; i < text.length; i++) {
    if (backslashEscapes && text[i] === '\\') i += 1;
    else if (text[i] === quote) {
      if (text[i + 1] !== quote) return i;
      i += 1;
    }
  }
  return -1;
}

/** E'...' strings take backslash escapes (\' does not close them); a name ending in e does not make one. */
function isEscapeString(text: string, quoteAt: number): boolean {
  return (text[quoteAt - 1] === 'e' || text[quoteAt - 1] === 'E') && !isIdentifierChar(text[quoteAt - 2]);
}

function isIdentifierChar(ch: string | undefined): boolean {
  return ch !== undefined && /[A-Za-z0-9_$\u0080-\uffff]/.test(ch);
}
