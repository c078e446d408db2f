export * from './events.generated.ts';
export * from './topics.ts';
