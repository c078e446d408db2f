/**
 * The accruals worker's read path on its health port (docs/accruals.md, "Reading statements from a
 * running embedded pipeline"): an embedded ClickHouse directory can be open in one process only,
 * so while the worker owns it, `cxg statement` asks the worker. The statement is built by the
 * ledger's own code (`readStatement`) from the worker's open client.
 *
 *   GET /statement?contract=ID&month=YYYY-MM[&all_lines=1]
 *     200 the document `cxg statement --format json` prints (`statementWire`: a number beyond what
 *         a double holds exactly comes as a string of its digits)
 *     400 {error} bad arguments; 404 {error, contracts_with_lines} no ledger line of that month
 *   GET /ledger
 *     200 {clickhouse, watermark_ms}: the ledger the worker writes (chdb as an absolute path, a
 *         server without credentials), so a reader can check it asks the worker of its own ledger
 */
import type { Route } from '@cxg/platform';
import { LEDGER_ROUTE, STATEMENT_ROUTE, ledgerLocation, noLinesMessage, parseStatementQuery, readStatement, statementWire, type ClickHouseClient } from '@cxg/ledger';

export function ledgerRoutes(deps: { client: ClickHouseClient; clickhouseUrl: string; watermarkMs(): number | null }): Record<string, Route> {
  const where = ledgerLocation(deps.clickhouseUrl);
  return {
    [STATEMENT_ROUTE]: async (req, url) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return { status: 405, body: { error: `${req.method ?? ''} ${STATEMENT_ROUTE}: expected GET` } };
      const q = parseStatementQuery(url.searchParams);
      if ('error' in q) return { status: 400, body: { error: q.error } };
      const read = await readStatement(deps.client, q.contractId, q.month, { includeZeroLines: q.allLines });
      if (read.statement === null) {
        return { status: 404, body: { error: noLinesMessage(q.contractId, q.month, where, read.contractsWithLines), contracts_with_lines: read.contractsWithLines } };
      }
      return { status: 200, body: statementWire(read.statement) };
    },
    [LEDGER_ROUTE]: async () => ({ status: 200, body: { clickhouse: where, watermark_ms: deps.watermarkMs() } }),
  };
}
