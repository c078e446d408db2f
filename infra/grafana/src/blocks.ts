// Building blocks over @grafana/grafana-foundation-sdk: the house style of every panel type, the
// queries (Prometheus through the SDK's own builder, ClickHouse through a small builder of the
// plugin's query model), threshold helpers, the board layout and the dashboard defaults.
//
// A board is written as calls to a Board: `row(title)` starts a row, `add(w, h, panel)` places an
// SDK panel builder left to right in rows of 24 columns, numbers it, names its queries A, B, ...
// and sets the panel's datasource from its queries.
import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import {
  BigValueColorMode,
  BigValueGraphMode,
  BigValueJustifyMode,
  BigValueTextMode,
  FieldTextAlignment,
  GraphDrawStyle,
  GraphThresholdsStyleConfigBuilder,
  GraphThresholdsStyleMode,
  LegendDisplayMode,
  LegendPlacement,
  ReduceDataOptionsBuilder,
  SortOrder,
  StackingConfigBuilder,
  StackingMode,
  TableCellHeight,
  TableFooterOptionsBuilder,
  TooltipDisplayMode,
  VisibilityMode,
  VizLegendOptionsBuilder,
  VizOrientation,
  VizTooltipOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import {
  CustomVariableBuilder,
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DashboardLinkType,
  FieldColorBuilder,
  FieldColorModeId,
  MappingType,
  QueryVariableBuilder,
  RowBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
  type Dashboard,
  type DataSourceRef,
  type Panel,
  type Threshold,
  type ValueMapping,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as BarChartBuilder } from '@grafana/grafana-foundation-sdk/barchart';
import { DataqueryBuilder as PromQueryBuilder, PromQueryFormat, QueryEditorMode } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as StateTimelineBuilder } from '@grafana/grafana-foundation-sdk/statetimeline';
import { PanelBuilder as TableBuilder } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';

export const PROM: DataSourceRef = { type: 'prometheus', uid: 'prometheus' };
export const CH: DataSourceRef = { type: 'grafana-clickhouse-datasource', uid: 'clickhouse' };

// ---------------------------------------------------------------------------------------------
// queries

/** A PromQL range query (time series). */
export function prom(expr: string, legend = ''): PromQueryBuilder {
  return new PromQueryBuilder().datasource(PROM).editorMode(QueryEditorMode.Code).expr(expr).legendFormat(legend).range();
}

/** A PromQL instant query, for a table. */
export function promTable(expr: string): PromQueryBuilder {
  return new PromQueryBuilder().datasource(PROM).editorMode(QueryEditorMode.Code).expr(expr).format(PromQueryFormat.Table).instant();
}

/**
 * A query of the grafana-clickhouse-datasource plugin (not a core datasource, so the SDK has no
 * builder for it; this follows its query model: editorType sql, rawSql, format 0 = time series,
 * long to wide by the plugin, 1 = table).
 */
export interface ClickHouseQuery extends Dataquery {
  refId?: string;
  datasource: DataSourceRef;
  editorType: 'sql';
  queryType: 'timeseries' | 'table';
  format: 0 | 1;
  rawSql: string;
}

export class ClickHouseQueryBuilder implements Builder<ClickHouseQuery> {
  private readonly internal: ClickHouseQuery;

  constructor(rawSql: string, as: 'timeseries' | 'table') {
    this.internal = {
      datasource: CH,
      editorType: 'sql',
      queryType: as,
      format: as === 'timeseries' ? 0 : 1,
      rawSql: rawSql.replace(/^\n+|\s+$/g, ''),
      _implementsDataqueryVariant() {},
    };
  }

  build(): ClickHouseQuery {
    return this.internal;
  }
}

/** One ClickHouse SQL query, read as a table (or by a timeseries panel as a time series). */
export function sql(rawSql: string, as: 'timeseries' | 'table' = 'table'): ClickHouseQueryBuilder {
  return new ClickHouseQueryBuilder(rawSql, as);
}

// ---------------------------------------------------------------------------------------------
// thresholds, mappings, units

export const GREEN = 'green';
export const RED = 'red';
export const ORANGE = 'orange';

/** Threshold steps: bands(GREEN, 1, RED) is green below 1 and red from 1 on. */
export function bands(color: string, ...cuts: Array<number | string>): Threshold[] {
  const steps: Threshold[] = [{ value: null, color }];
  for (let i = 0; i < cuts.length; i += 2) steps.push({ value: cuts[i] as number, color: cuts[i + 1] as string });
  return steps;
}

/** A count where any is bad (open breaches, firing alerts). */
export const ANY_RED = (): Threshold[] => bands(GREEN, 1, RED);

export function thresholds(steps: Threshold[]): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps);
}

/** Value mappings for states 0, 1, 2, ...: valueMap([text of 0, color], [text of 1, color]). */
export function valueMap(...states: Array<[text: string, color: string]>): ValueMapping[] {
  return [{ type: MappingType.ValueToText, options: Object.fromEntries(states.map(([text, color], index) => [String(index), { text, color, index }])) }];
}

/** A share from 0 to 1. */
export const SHARE = { unit: 'percentunit', min: 0, max: 1 } as const;
export const EUR = 'currencyEUR';

/** An axis: unit and optional bounds and decimals. */
export interface Axis {
  unit: string;
  min?: number;
  max?: number;
  decimals?: number;
}

/** Sets an axis on any panel builder (undefined bounds stay unset). */
export function withAxis<P extends { unit(u: string): P; min(n: number): P; max(n: number): P; decimals(n: number): P }>(panel: P, axis: Axis): P {
  panel.unit(axis.unit);
  if (axis.decimals !== undefined) panel.decimals(axis.decimals);
  if (axis.min !== undefined) panel.min(axis.min);
  if (axis.max !== undefined) panel.max(axis.max);
  return panel;
}

// ---------------------------------------------------------------------------------------------
// panels: one function per type with the boards' house style; the boards chain the rest

const legend = (show = true) => new VizLegendOptionsBuilder().displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom).showLegend(show);

/** A line chart; `bounds(panel, steps)` draws threshold steps as dashed lines. */
export function timeseries(title: string): TimeseriesBuilder {
  return new TimeseriesBuilder()
    .title(title)
    .unit('short')
    .colorScheme(new FieldColorBuilder().mode(FieldColorModeId.PaletteClassic))
    .drawStyle(GraphDrawStyle.Line)
    .lineWidth(1)
    .fillOpacity(10)
    .showPoints(VisibilityMode.Never)
    .spanNulls(false)
    .stacking(new StackingConfigBuilder().mode(StackingMode.None).group('A'))
    .thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.Off))
    .thresholds(thresholds(bands(GREEN)))
    .legend(legend())
    .tooltip(new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.Descending));
}

/** Alert and contract bounds: colored steps, drawn as dashed lines. */
export function bounds(panel: TimeseriesBuilder, steps: Threshold[]): TimeseriesBuilder {
  return panel.thresholds(thresholds(steps)).thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.Dashed));
}

/** Bars instead of lines (daily and monthly amounts). */
export function bars(panel: TimeseriesBuilder): TimeseriesBuilder {
  return panel.drawStyle(GraphDrawStyle.Bars).fillOpacity(80);
}

/** Series stacked on each other (parts of one total). */
export function stacked(panel: TimeseriesBuilder): TimeseriesBuilder {
  return panel.stacking(new StackingConfigBuilder().mode(StackingMode.Normal).group('A'));
}

/** One big number, colored by its thresholds (green unless told). */
export function stat(title: string): StatBuilder {
  return new StatBuilder()
    .title(title)
    .unit('short')
    .mappings([])
    .thresholds(thresholds(bands(GREEN)))
    .colorMode(BigValueColorMode.Background)
    .graphMode(BigValueGraphMode.None)
    .justifyMode(BigValueJustifyMode.Auto)
    .textMode(BigValueTextMode.Auto)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).fields('').values(false));
}

/** A filterable table without footer. */
export function table(title: string): TableBuilder {
  return new TableBuilder()
    .title(title)
    .align(FieldTextAlignment.Auto)
    .filterable(true)
    .showHeader(true)
    .cellHeight(TableCellHeight.Sm)
    .footer(new TableFooterOptionsBuilder().show(false).reducer(['sum']).fields([]));
}

/** Hides the columns `exclude` and renames those in `rename` ({ column: title }). */
export function organize(panel: TableBuilder, exclude: string[], rename: Record<string, string> = {}): TableBuilder {
  return panel.withTransformation({
    id: 'organize',
    options: { excludeByName: Object.fromEntries(exclude.map((f) => [f, true])), indexByName: {}, renameByName: rename },
  });
}

/** Units for the named columns only: { column: unit }. */
export function columnUnits<P extends { overrideByName(name: string, properties: Array<{ id: string; value?: unknown }>): P }>(panel: P, units: Record<string, string>): P {
  for (const [name, value] of Object.entries(units)) panel.overrideByName(name, [{ id: 'unit', value }]);
  return panel;
}

/** States over time, one lane per series, colored by the mappings' thresholds. */
export function stateTimeline(title: string, mappings: ValueMapping[], steps: Threshold[]): StateTimelineBuilder {
  return new StateTimelineBuilder()
    .title(title)
    .mappings(mappings)
    .thresholds(thresholds(steps))
    .colorScheme(new FieldColorBuilder().mode(FieldColorModeId.Thresholds))
    .showValue(VisibilityMode.Never)
    .mergeValues(true)
    .rowHeight(0.8)
    .legend(legend(false));
}

/** Bars per value of the x field (a table's column). */
export function barchart(title: string, xField: string, stack = false): BarChartBuilder {
  return new BarChartBuilder()
    .title(title)
    .colorScheme(new FieldColorBuilder().mode(FieldColorModeId.PaletteClassic))
    .fillOpacity(80)
    .lineWidth(1)
    .xField(xField)
    .orientation(VizOrientation.Auto)
    .stacking(stack ? StackingMode.Normal : StackingMode.None)
    .showValue(VisibilityMode.Auto)
    .legend(legend())
    .tooltip(new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi));
}

// ---------------------------------------------------------------------------------------------
// layout and dashboard

const REF_IDS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

interface Target {
  refId?: string;
  datasource?: DataSourceRef;
}

/** Lays panels out left to right in rows of 24 columns, numbers them and names their queries. */
export class Board {
  private x = 0;
  private y = 0;
  private rowH = 0;
  private id = 1;

  constructor(readonly dashboard: DashboardBuilder) {}

  row(title: string): this {
    this.newline();
    this.dashboard.withRow(new RowBuilder(title).id(this.id++).collapsed(false).gridPos({ x: 0, y: this.y, w: 24, h: 1 }));
    this.y += 1;
    return this;
  }

  add(w: number, h: number, panel: Builder<Panel>): this {
    if (this.x + w > 24) this.newline();
    const built = panel.build();
    const targets = (built.targets ?? []) as Target[];
    targets.forEach((t, i) => (t.refId = REF_IDS[i]));
    built.id = this.id++;
    built.gridPos = { x: this.x, y: this.y, w, h };
    built.datasource ??= targets[0]?.datasource;
    this.dashboard.withPanel({ build: () => built });
    this.x += w;
    this.rowH = Math.max(this.rowH, h);
    return this;
  }

  build(): Dashboard {
    return this.dashboard.build();
  }

  private newline(): void {
    if (this.x > 0) {
      this.y += this.rowH;
      this.x = 0;
      this.rowH = 0;
    }
  }
}

export interface BoardSpec {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  time?: { from: string; to: string };
  refresh?: string;
}

/** A board with the defaults all three share: tagged cx-gainshare, shared crosshair, links to the others. */
export function board({ uid, title, description, tags, time = { from: 'now-6h', to: 'now' }, refresh = '30s' }: BoardSpec): Board {
  return new Board(
    new DashboardBuilder(title)
      .uid(uid)
      .description(description)
      .tags(['cx-gainshare', ...tags])
      .editable()
      .tooltip(DashboardCursorSync.Crosshair)
      .timezone('browser')
      .version(1)
      .refresh(refresh)
      .time(time)
      .fiscalYearStartMonth(0)
      .liveNow(false)
      .annotations([])
      .variables([])
      .link(new DashboardLinkBuilder('cx-gainshare').type(DashboardLinkType.Dashboards).tags(['cx-gainshare']).asDropdown(false).includeVars(false).keepTime(true)),
  );
}

/** A variable from a Prometheus label's values; multi-select with All (`.*`). */
export function queryVar(name: string, label: string, query: string): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(PROM)
    .query(query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ selected: true, text: ['All'], value: ['$__all'] })
    .options([]);
}

/** A variable over fixed values, `current` selected (or All, when `allValue` is given). */
export function customVar(name: string, label: string, values: string[], current: string | { allValue: string }): CustomVariableBuilder {
  const v = new CustomVariableBuilder(name).label(label).values(values.join(','));
  if (typeof current === 'string') {
    v.multi(false).includeAll(false).current({ selected: true, text: current, value: current });
  } else {
    v.multi(true).includeAll(true).allValue(current.allValue).current({ selected: true, text: ['All'], value: ['$__all'] });
  }
  return v.options(values.map((value) => ({ selected: value === current, text: value, value })));
}
