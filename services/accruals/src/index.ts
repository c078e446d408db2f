// The accruals worker only; the ledger it writes is the library @cxg/ledger.
export * from './metrics.ts';
export * from './handler.ts';
export * from './main.ts';
export * from './routes.ts';
