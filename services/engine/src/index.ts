export * from './events.generated.ts';
export * from './topics.ts';
export * from './reject.ts';
export * from './intent.ts';
export * from './timestamp.ts';
export * from './validate.ts';
