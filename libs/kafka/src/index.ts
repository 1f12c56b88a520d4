// First: it replaces three kafkajs modules before kafkajs loads them (see the file).
import './kafkajs-hot-paths';
export type { Kafka } from 'kafkajs';
export { ConfigResourceTypes } from 'kafkajs';
export * from './kafka-client';
export * from './producer';
export * from './consumer';
export * from './topics';
export * from './kafka-security';
export * from './kafka-access-check';
