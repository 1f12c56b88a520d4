export type ReplayStart = { kind: 'earliest' } | { kind: 'time'; timeMs: number } | { kind: 'offsets'; offsets: Map<string, bigint> };

/** PAYSYNC_REPLAY_FROM: "earliest", an ISO-8601 time, or "topic:partition:offset,...". */
export function parseReplayStart(text: string): ReplayStart {
  if (text === 'earliest') return { kind: 'earliest' };
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const timeMs = Date.parse(text);
    if (Number.isNaN(timeMs)) throw new Error(`PAYSYNC_REPLAY_FROM: "${text}" is not a valid ISO-8601 time`);
    return { kind: 'time', timeMs };
  }
  const offsets = new Map<string, bigint>();
  for (const item of text.split(',')) {
    const match = /^(.+):(\d+):(\d+)$/.exec(item.trim());
    if (!match) throw new Error(`PAYSYNC_REPLAY_FROM: "${item}" is not earliest, an ISO-8601 time or topic:partition:offset`);
    offsets.set(`${match[1]}:${match[2]}`, BigInt(match[3]));
  }
  return { kind: 'offsets', offsets };
}
