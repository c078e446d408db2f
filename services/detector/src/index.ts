export * from './detector.ts';
export * from './keys.ts';
export * from './store.ts';
export * from './metrics.ts';
export * from './main.ts';
export * from './markers.ts';
export * from './entry-codec.ts';
export * from './marker-codec.ts';
