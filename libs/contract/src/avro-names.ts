/** Avro names (fields, namespaces, named types) for PostgreSQL identifiers. */

/** An Avro name for a PostgreSQL identifier: [A-Za-z_][A-Za-z0-9_]*. */
export function avroFieldName(column: string): string {
  const cleaned = column.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned;
}

/** A topic name as an Avro namespace: each dot-separated part made a valid Avro name ('-' -> '_'). */
export function avroNamespace(topic: string): string {
  return topic.split('.').map(avroFieldName).join('.');
}

const NAMED = new Set(['record', 'enum', 'fixed']);

/**
 * Avro allows a name to be defined once per schema: a named type a codec brings (e.g. two
 * unconstrained numeric columns, each an io.debezium.data.VariableScaleDecimal) is defined at its
 * first use and referred to by its full name afterwards.
 */
export function referToDefinedTypes(schema: unknown, namespace: string, defined: Set<string>): unknown {
  if (Array.isArray(schema)) return schema.map((branch) => referToDefinedTypes(branch, namespace, defined));
  if (schema === null || typeof schema !== 'object') return schema;
  const node = schema as Record<string, unknown>;
  if (typeof node.type === 'string' && NAMED.has(node.type) && typeof node.name === 'string') {
    const space = typeof node.namespace === 'string' ? node.namespace : namespace;
    const fullName = node.name.includes('.') ? node.name : `${space}.${node.name}`;
    if (defined.has(fullName)) return fullName;
    defined.add(fullName);
    if (!Array.isArray(node.fields)) return node;
    const fields = (node.fields as Record<string, unknown>[]).map((f) => ({ ...f, type: referToDefinedTypes(f.type, space, defined) }));
    return { ...node, fields };
  }
  if (node.type === 'array') return { ...node, items: referToDefinedTypes(node.items, namespace, defined) };
  if (node.type === 'map') return { ...node, values: referToDefinedTypes(node.values, namespace, defined) };
  return node;
}
