import type { StartedStack } from './containers';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __paysyncStack?: StartedStack }).__paysyncStack?.stop();
}
