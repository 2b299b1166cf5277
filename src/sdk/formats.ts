/**
 * How `crowdfind locate` writes located reports: a table for people, JSON, GeoJSON, CSV and
 * GPX for tools. JSON is the documented shape: timestamp (ISO 8601 UTC), latitude, longitude,
 * accuracy, status, confidence, hashedId, keyIndex, device, selfReport (sealed by the device
 * itself, not by a finder).
 */
import type { LocatedReport } from './owner.ts';

export const OUTPUT_FORMATS = ['table', 'json', 'geojson', 'csv', 'gpx'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The JSON record of one report (also the ground-truth shape `simulate --truth` writes). */
export function reportRecord(r: LocatedReport) {
  return {
    timestamp: r.timestamp.toISOString(),
    latitude: r.latitude,
    longitude: r.longitude,
    accuracy: r.accuracy,
    status: r.status,
    confidence: r.confidence,
    hashedId: r.hashedId,
    keyIndex: r.keyIndex,
    device: r.device,
    selfReport: r.selfReport,
  };
}

/**
 * Text made safe inside XML and HTML elements and quoted attributes.
 * @example escapeMarkup('a < b') // 'a &lt; b'
 */
export function escapeMarkup(text: string): string {
  return text.replace(/[<>&"]/g, (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot' }[c]};`);
}
const csvField = (value: string | number | boolean) =>
  /[",\n]/.test(String(value)) ? `"${String(value).replace(/"/g, '""')}"` : String(value);

/**
 * @example formatReports(located, 'geojson')
 */
export function formatReports(reports: readonly LocatedReport[], format: OutputFormat): string {
  const records = reports.map(reportRecord);
  switch (format) {
    case 'json':
      return JSON.stringify(records, null, 2) + '\n';
    case 'geojson':
      return (
        JSON.stringify(
          {
            type: 'FeatureCollection',
            features: records.map(({ latitude, longitude, ...properties }) => ({
              type: 'Feature',
              geometry: { type: 'Point', coordinates: [longitude, latitude] },
              properties,
            })),
          },
          null,
          2,
        ) + '\n'
      );
    case 'csv': {
      const header = [
        'timestamp',
        'latitude',
        'longitude',
        'accuracy',
        'status',
        'confidence',
        'hashedId',
        'keyIndex',
        'device',
        'selfReport',
      ] as const;
      return [header.join(','), ...records.map((r) => header.map((h) => csvField(r[h])).join(','))].join('\n') + '\n';
    }
    case 'gpx': {
      // A track runs forward in time.
      const points = [...records]
        .reverse()
        .map(
          (r) =>
            `      <trkpt lat="${r.latitude}" lon="${r.longitude}"><time>${r.timestamp}</time><name>${escapeMarkup(r.device)}</name></trkpt>`,
        );
      return `<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="crowdfind" xmlns="http://www.topografix.com/GPX/1/1">\n  <trk><name>crowdfind</name><trkseg>\n${points.join('\n')}\n  </trkseg></trk>\n</gpx>\n`;
    }
    case 'table': {
      if (records.length === 0) return 'no reports\n';
      const rows = records.map((r) => [
        r.timestamp,
        r.latitude.toFixed(7),
        r.longitude.toFixed(7),
        `±${r.accuracy} m`,
        r.selfReport ? `${r.device} (itself)` : r.device,
        `${r.keyIndex}`,
      ]);
      const header = ['time (UTC)', 'latitude', 'longitude', 'accuracy', 'device', 'key'];
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
      return (
        [header, ...rows]
          .map((row) =>
            row
              .map((cell, i) => cell.padEnd(widths[i]!))
              .join('  ')
              .trimEnd(),
          )
          .join('\n') + '\n'
      );
    }
  }
}
