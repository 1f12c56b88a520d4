import { dockerEngineAnswers, startContainerStack } from './containers';
import { addressesFromEnvironment, secureAddressesFromEnvironment, STACK_KEYS } from './stack-addresses';

/**
 * Finds the real stack for the integration tests: addresses from the environment or .stack/env
 * first (CI and machines without Docker), testcontainers second, else a clear instruction.
 */
export default async function globalSetup(): Promise<void> {
  let addresses = addressesFromEnvironment();
  // The secure endpoints come only with the stack that stack:up made, not with testcontainers.
  const secure = addresses ? secureAddressesFromEnvironment() : undefined;
  if (!addresses) {
    if (!dockerEngineAnswers()) {
      throw new Error(
        `Integration tests need the real stack and none was found: no ${STACK_KEYS.join(', ')} in the environment, ` +
          'no .stack/env, and no Docker engine for testcontainers. Run `npm run stack:up` first.',
      );
    }
    const started = await startContainerStack();
    (globalThis as { __paysyncStack?: typeof started }).__paysyncStack = started;
    addresses = started.addresses;
  }
  // Workers are forked after global setup, so they inherit these.
  Object.assign(process.env, addresses, secure);
}
