/** Statement output for a small month: ordering, zero lines, totals, final/provisional, and the three formats. */
import { describe, expect, it } from 'vitest';
import { buildStatement, formatCents, statementCsv, statementJsonText, statementText } from '../src/statement.ts';
import { statementFromDocument } from '../src/statement-read.ts';
import { storedAdjustment, storedLine as line } from '../src/testing.ts';

// A 2-day contract month (validity ends 2026-02-02), closed; read back in ledger (accrual_id) order.
const ledger = [
  line('2026-02-01', 'contact_fee', 'PHONE', '3.0000', 1260),
  line('2026-02-01', 'contact_fee', 'CHAT', '0.0000', 0),
  line('2026-02-01', 'minute_fee', 'PHONE', '7.5000', 450),
  line('2026-02-01', 'gainshare_repeat', null, '-0.3400', -88),
  line('2026-02-02', 'contact_fee', 'PHONE', '1.0000', 420),
  line('2026-02-02', 'contact_fee', 'CHAT', '2.0000', 600),
  line('2026-02-02', 'minute_fee', 'PHONE', '0.5000', 30),
  line('2026-02-02', 'gainshare_repeat', null, '0.2200', 57),
  line('2026-02-02', 'gainshare_quality_gate', null, '0.0000', 0),
  line('2026-02-02', 'customer_floor_malus', null, '0.0000', -1234),
  line('2026-03-01', 'contact_fee', 'PHONE', '9.0000', 9999), // another month: not in the statement
].sort((a, b) => (a.accrual_id < b.accrual_id ? -1 : 1));

describe('statement', () => {
  const s = buildStatement('k', '2026-02', ledger);

  it('orders lines by date, documented line order and channel; leaves out zero lines; sums per type and channel', () => {
    expect(s.lines.map((l) => `${l.date} ${l.line_type} ${l.channel ?? ''}`.trim())).toEqual([
      '2026-02-01 contact_fee PHONE',
      '2026-02-01 minute_fee PHONE',
      '2026-02-01 gainshare_repeat',
      '2026-02-02 contact_fee PHONE',
      '2026-02-02 contact_fee CHAT',
      '2026-02-02 minute_fee PHONE',
      '2026-02-02 gainshare_repeat',
      '2026-02-02 customer_floor_malus',
    ]);
    expect(s.zero_lines_omitted).toBe(2);
    expect(s.totals.map((t) => [t.line_type, t.channel, t.quantity, t.amount_cents, t.lines])).toEqual([
      ['contact_fee', 'PHONE', '4.0000', 1680n, 2],
      ['contact_fee', 'CHAT', '2.0000', 600n, 2],
      ['minute_fee', 'PHONE', '8.0000', 480n, 2],
      ['gainshare_repeat', null, '-0.1200', -31n, 2],
      ['gainshare_quality_gate', null, '0.0000', 0n, 1],
      ['customer_floor_malus', null, '0.0000', -1234n, 1],
    ]);
    expect(s).toMatchObject({ total_cents: 1495n, provisional_cents: 0n, final: true, closed: true, currency: 'EUR', provider_id: 'p' });
  });

  it('renders a plain-text statement', () => {
    expect(statementText(s)).toBe(
      [
        'Statement k (p), 2026-02, EUR: final; month closed',
        '',
        'date        line                  quantity  amount EUR  status',
        '----------  --------------------  --------  ----------  ------',
        '2026-02-01  contact_fee PHONE       3.0000       12.60  final',
        '2026-02-01  minute_fee PHONE        7.5000        4.50  final',
        '2026-02-01  gainshare_repeat       -0.3400       -0.88  final',
        '2026-02-02  contact_fee PHONE       1.0000        4.20  final',
        '2026-02-02  contact_fee CHAT        2.0000        6.00  final',
        '2026-02-02  minute_fee PHONE        0.5000        0.30  final',
        '2026-02-02  gainshare_repeat        0.2200        0.57  final',
        '2026-02-02  customer_floor_malus    0.0000      -12.34  final',
        '(2 lines with quantity and amount 0 not shown)',
        '',
        'Totals',
        'line                    lines  quantity  amount EUR  status',
        '----------------------  -----  --------  ----------  ------',
        'contact_fee PHONE           2    4.0000       16.80  final',
        'contact_fee CHAT            2    2.0000        6.00  final',
        'minute_fee PHONE            2    8.0000        4.80  final',
        'gainshare_repeat            2   -0.1200       -0.31  final',
        'gainshare_quality_gate      1    0.0000        0.00  final',
        'customer_floor_malus        1    0.0000      -12.34  final',
        'total                      10                 14.95  final',
        '',
      ].join('\n'),
    );
  });

  it('renders CSV (one row per line, cents) and JSON', () => {
    const csv = statementCsv(s).split('\n');
    expect(csv[0]).toBe('contract_id,provider_id,date,line_type,channel,quantity,amount_cents,currency,status,kind,booked_on,cause,refers_to');
    expect(csv[3]).toBe('k,p,2026-02-01,gainshare_repeat,,-0.3400,-88,EUR,final,line,,,');
    expect(csv).toHaveLength(8 + 2);
    const json = JSON.parse(statementJsonText(s)) as { lines: unknown[] };
    expect(json.lines[0]).toEqual({ date: '2026-02-01', line_type: 'contact_fee', channel: 'PHONE', quantity: 3, amount_cents: 1260, status: 'final' });
    expect(json).toMatchObject({ total_cents: 1495, final: true, closed: true });
  });

  it('shows the adjustments booked in the month and those to it booked later, and totals both ways', () => {
    const adjustments = [
      storedAdjustment('k:2026-01-30:contact_fee:PHONE', '2026-02-04', '1.0000', 420n), // to January, booked in February
      storedAdjustment('k:2026-02-01:minute_fee:PHONE', '2026-02-05', '2.0000', 120n), // to February, booked in February
      storedAdjustment('k:2026-02-02:contact_fee:CHAT', '2026-03-04', '-1.0000', -300n, 'rerate'), // to February, booked in March
      storedAdjustment('k:2026-02-02:contact_fee:PHONE', '2026-02-06', '0.0000', 0n), // adds nothing: not shown
    ];
    const a = buildStatement('k', '2026-02', ledger, { adjustments, watermarkMs: Date.parse('2026-02-05T12:00:00Z') });
    expect(a.adjustments.map((x) => `${x.booked_on} ${x.refers_to} ${x.amount_delta_cents} ${x.status}`)).toEqual([
      '2026-02-04 k:2026-01-30:contact_fee:PHONE 420 final',
      '2026-02-05 k:2026-02-01:minute_fee:PHONE 120 provisional',
    ]);
    expect(a.later_adjustments.map((x) => `${x.booked_on} ${x.refers_to} ${x.cause}`)).toEqual(['2026-03-04 k:2026-02-02:contact_fee:CHAT rerate']);
    // by service month: lines + its own adjustment + the later one; by booking month: lines + both booked in February
    expect(a.service_month_cents).toBe(s.total_cents + 120n - 300n);
    expect(a.booking_month_cents).toBe(s.total_cents + 420n + 120n);
    // an adjustment booked in the month still open: the month is not final as a booking month
    expect(a.final).toBe(false);
    const text = statementText(a);
    expect(text).toContain('Adjustments booked in 2026-02');
    expect(text).toMatch(/2026-02-04 +2026-01-30 +contact_fee PHONE +1\.0000 +\+4\.20 +late_event +final/);
    expect(text).toContain('Adjustments to 2026-02 booked later');
    expect(text).toContain(`2026-02 as service month (its lines and every adjustment to them): ${formatCents(a.service_month_cents)} EUR`);
    const csv = statementCsv(a).split('\n');
    expect(csv.slice(-4, -1)).toEqual([
      'k,p,2026-01-30,contact_fee,PHONE,1.0000,420,EUR,final,adjustment,2026-02-04,late_event,k:2026-01-30:contact_fee:PHONE',
      'k,p,2026-02-01,minute_fee,PHONE,2.0000,120,EUR,provisional,adjustment,2026-02-05,late_event,k:2026-02-01:minute_fee:PHONE',
      'k,p,2026-02-02,contact_fee,CHAT,-1.0000,-300,EUR,provisional,later_adjustment,2026-03-04,rerate,k:2026-02-02:contact_fee:CHAT',
    ]);
    const json = JSON.parse(statementJsonText(a)) as Record<string, unknown> & { adjustments: unknown[] };
    expect(json).toMatchObject({ service_month_cents: Number(a.service_month_cents), booking_month_cents: Number(a.booking_month_cents) });
    expect(json.adjustments[0]).toEqual({
      booked_on: '2026-02-04', service_date: '2026-01-30', line_type: 'contact_fee', channel: 'PHONE', quantity_delta: 1, amount_delta_cents: 420,
      cause: 'late_event', refers_to: 'k:2026-01-30:contact_fee:PHONE', evidence: { records: ['contact:e1'] }, status: 'final',
    });
    expect(statementFromDocument(JSON.parse(statementJsonText(a)))).toEqual(a);
  });

  it('an open month is provisional, names the provisional amount, and can include zero lines', () => {
    const open = buildStatement('k', '2026-02', [line('2026-02-01', 'contact_fee', 'PHONE', '1.0000', 420), line('2026-02-02', 'contact_fee', 'PHONE', '2.0000', 840, 'provisional'), line('2026-02-02', 'contact_fee', 'CHAT', '0.0000', 0, 'provisional')], { includeZeroLines: true });
    expect(open).toMatchObject({ final: false, closed: false, provisional_cents: 840n, zero_lines_omitted: 0 });
    expect(open.lines).toHaveLength(3);
    expect(statementText(open).split('\n')[0]).toBe('Statement k (p), 2026-02, EUR: provisional (8.40 EUR not final yet); month not closed');
  });

  it('formats cents exactly', () => {
    expect([formatCents(0), formatCents(5), formatCents(-5), formatCents(123456), formatCents(-100)]).toEqual(['0.00', '0.05', '-0.05', '1234.56', '-1.00']);
    expect([formatCents(2n ** 63n - 1n), formatCents(-(2n ** 63n))]).toEqual(['92233720368547758.07', '-92233720368547758.08']);
  });

  it('keeps every digit of big quantities, amounts and totals (past 2^53 and a month past 2^63)', () => {
    const big = 2n ** 62n + 1n; // three of these sum past 2^63
    const month = [
      line('2026-02-01', 'upsell_commission', null, '123456789012345678.0000', big),
      line('2026-02-02', 'upsell_commission', null, '100000000000000.5000', big),
      line('2026-02-02', 'contact_fee', 'PHONE', '1.0000', big),
    ];
    const b = buildStatement('k', '2026-02', month);
    expect(b.total_cents).toBe(3n * big);
    expect(b.totals.find((t) => t.line_type === 'upsell_commission')).toMatchObject({ quantity: '123556789012345678.5000', amount_cents: 2n * big });
    const text = statementJsonText(b);
    expect(text).toContain('"total_cents":13835058055282163715,');
    expect(text).toContain('"quantity":123556789012345678.5,"amount_cents":9223372036854775810,');
    expect(text).toContain('{"date":"2026-02-01","line_type":"upsell_commission","channel":null,"quantity":123456789012345678,"amount_cents":4611686018427387905,"status":"final"}');
    expect(statementCsv(b)).toContain('k,p,2026-02-01,upsell_commission,,123456789012345678.0000,4611686018427387905,EUR,final');
    expect(statementText(b)).toContain('138350580552821637.15');
  });
});
