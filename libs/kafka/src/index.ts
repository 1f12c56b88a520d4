export type { Kafka } from 'kafkajs';
export * from './kafka-client';
export * from './producer';
export * from './consumer';
export * from './topics';
