import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderDashboard } from '../src/dashboard.mjs';
import { SAMPLE_VEHICLES, summarise } from '../src/fleet.mjs';

const identity = { service: 'web-admin', version: '3.0.0', release: 'r-1', revision: '2', environment: 'dev' };

describe('fleet dashboard', () => {
  test('counts vehicles by status and flags low batteries that are not charging', () => {
    assert.deepEqual(summarise(SAMPLE_VEHICLES), { vehicles: 4, byStatus: { 'on-ride': 1, available: 2, charging: 1 }, lowBattery: ['EV-104'] });
  });

  test('renders the summary with the live release in the page', () => {
    const html = renderDashboard(summarise(SAMPLE_VEHICLES), identity);
    assert.match(html, /<title>Volteryde Admin<\/title>/);
    assert.match(html, /<meta name="gantry-release" content="r-1">/);
    assert.match(html, /Low battery, not charging: EV-104/);
  });

  test('escapes vehicle data and says so when every battery is fine', () => {
    const html = renderDashboard(summarise([{ id: '<b>x</b>', status: 'a&b', batteryPercent: 90 }]), { ...identity, release: null });
    assert.match(html, /a&amp;b/);
    assert.match(html, /All vehicles charged/);
    assert.match(html, /release unreleased/);
  });
});
