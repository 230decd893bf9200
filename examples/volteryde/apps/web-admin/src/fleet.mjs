// Fleet figures shown on the dashboard. The stand-in has no database, so it summarises a fixed
// sample; the logic is what the tests cover.

export const SAMPLE_VEHICLES = Object.freeze([
  { id: 'EV-101', status: 'on-ride', batteryPercent: 72 },
  { id: 'EV-102', status: 'available', batteryPercent: 95 },
  { id: 'EV-103', status: 'charging', batteryPercent: 18 },
  { id: 'EV-104', status: 'available', batteryPercent: 15 },
]);

export const LOW_BATTERY_PERCENT = 20;

export function summarise(vehicles) {
  const byStatus = {};
  for (const v of vehicles) byStatus[v.status] = (byStatus[v.status] ?? 0) + 1;
  const lowBattery = vehicles.filter((v) => v.batteryPercent < LOW_BATTERY_PERCENT && v.status !== 'charging').map((v) => v.id);
  return { vehicles: vehicles.length, byStatus, lowBattery };
}
