export * from './detector.ts';
export * from './keys.ts';
export * from './store.ts';
export * from './metrics.ts';
export * from './main.ts';
export * from './markers.ts';
export * from './customer-state.ts';
export * from './state-codec.ts';
