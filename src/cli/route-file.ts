/** Reading a GeoJSON route for commands that move a device along one (simulate, beacon). */
import { UsageError } from './args.ts';
import { readInput } from './io.ts';

/**
 * The [longitude, latitude] points of the first LineString in a GeoJSON file (a bare geometry,
 * a Feature or a FeatureCollection).
 * @example readRoute('walk.geojson')[0] // [13.405, 52.52]
 */
export function readRoute(path: string): Array<[number, number]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readInput(path).toString('utf8'));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${path}: not JSON, so not GeoJSON`);
  }
  const geojson = parsed as {
    type?: string;
    coordinates?: unknown;
    geometry?: unknown;
    features?: unknown[];
  };
  const geometries =
    geojson.type === 'FeatureCollection'
      ? (geojson.features ?? []).map((f) => (f as { geometry?: unknown }).geometry)
      : [geojson.type === 'Feature' ? geojson.geometry : geojson];
  const line = geometries.find((g) => (g as { type?: string })?.type === 'LineString') as
    { coordinates?: unknown } | undefined;
  const points = line?.coordinates;
  if (
    !Array.isArray(points) ||
    points.length === 0 ||
    !points.every((p) => Array.isArray(p) && p.length >= 2 && p.every((c) => typeof c === 'number'))
  ) {
    throw new UsageError(`${path}: expected a GeoJSON LineString (or a Feature/FeatureCollection holding one)`);
  }
  return points.map((p) => [p[0], p[1]] as [number, number]);
}
