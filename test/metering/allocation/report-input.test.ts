import { describe, expect, it } from 'vitest';
import { parseDimensions } from '../../../src/metering/allocation/dimensions.js';
import { monthPeriod, resolvePeriod } from '../../../src/metering/allocation/report-period.js';

const NOW = '2026-03-15T10:20:30.400Z';

describe('what a cost report is asked for', () => {
  it('groupings: the known ones and label:<key>, in the order given', () => {
    expect(parseDimensions('project, provider,label:team,day')).toEqual(['project', 'provider', 'label:team', 'day']);
    expect(parseDimensions('label:tessera.io/shared')).toEqual(['label:tessera.io/shared']);
  });

  it('bad groupings are refused with what to write instead', () => {
    expect(() => parseDimensions('')).toThrow(/say what to group by: one or more of project, provider, region, kind, flavor, market, state, day, month or label:<key>/);
    expect(() => parseDimensions('project,colour')).toThrow(/cannot group by "colour": use project, provider/);
    expect(() => parseDimensions('project,project')).toThrow(/"project" is named twice/);
    expect(() => parseDimensions('label:')).toThrow(/is not a label key/);
    expect(() => parseDimensions('label:bad key')).toThrow(/is not a label key/);
    expect(() => parseDimensions('project,provider,region,kind,flavor,market,state,day,month')).toThrow(/at most 8/);
  });

  it('periods: dates are UTC midnights, times keep their offset, and the default is this month so far', () => {
    expect(resolvePeriod({}, NOW)).toEqual({ from: '2026-03-01T00:00:00.000Z', to: NOW });
    expect(resolvePeriod({ from: '2026-01-01', to: '2026-01-02T09:00:00+09:00' }, NOW)).toEqual({ from: '2026-01-01T00:00:00.000Z', to: '2026-01-02T00:00:00.000Z' });
    expect(resolvePeriod({ from: '2026-01-01T00:00:00.123456Z' }, NOW).from).toBe('2026-01-01T00:00:00.123Z');
    expect(monthPeriod('2026-12')).toEqual({ from: '2026-12-01T00:00:00.000Z', to: '2027-01-01T00:00:00.000Z' });
  });

  it('bad periods are refused with what was wrong', () => {
    expect(() => resolvePeriod({ from: '2026-02-30' }, NOW)).toThrow(/from="2026-02-30" is not a date or time: use ISO 8601/);
    expect(() => resolvePeriod({ to: 'yesterday' }, NOW)).toThrow(/to="yesterday" is not a date or time/);
    expect(() => resolvePeriod({ from: '2026-01-01T10:00' }, NOW)).toThrow(/is not a date or time/);
    expect(() => resolvePeriod({ from: '2026-02-01', to: '2026-01-01' }, NOW)).toThrow(/the period is empty: to \(2026-01-01T00:00:00.000Z\) must be after from/);
    expect(() => resolvePeriod({ from: '2024-01-01', to: '2026-01-01' }, NOW)).toThrow(/longer than 366 days: ask for one year at a time/);
    expect(() => monthPeriod('2026-13')).toThrow(/"2026-13" is not a month: write it as YYYY-MM/);
  });
});
