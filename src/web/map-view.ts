/**
 * The map: for each device its track over the window in time order, every position as a dot,
 * the newest position (up to the time slider) with its accuracy circle. Leaflet draws these as
 * SVG whether or not tiles load, so an offline owner still sees them.
 */
import L from 'leaflet';
import type { LocatedReport } from '../sdk/owner.ts';

/** Device colours, in the order devices appear. */
const COLOURS = ['#d7263d', '#1b998b', '#2e86ab', '#f46036', '#7b2d8b', '#c5a100'];

export function colourOf(index: number): string {
  return COLOURS[index % COLOURS.length]!;
}

/**
 * A tooltip's content as a text node, made when the tooltip opens: Leaflet puts a string content
 * in as HTML, and device names come from key files and share links that anyone can write.
 */
function textTooltip(text: string): () => HTMLElement {
  return () => {
    const span = document.createElement('span');
    span.textContent = text;
    return span;
  };
}

/** @example const view = new MapView(element, tileUrl); view.show(located, devices, Date.now()) */
export class MapView {
  readonly #map: L.Map;
  readonly #layer = L.layerGroup();
  #fitted = false;

  constructor(element: HTMLElement, tileUrl: string | undefined) {
    this.#map = L.map(element, { preferCanvas: false, zoomControl: true }).setView([20, 0], 2);
    if (tileUrl)
      L.tileLayer(tileUrl, {
        maxZoom: 19,
        attribution: tileUrl.includes('openstreetmap') ? '© OpenStreetMap contributors' : '',
      }).addTo(this.#map);
    this.#layer.addTo(this.#map);
  }

  /** Draws the reports observed up to `until` (Unix ms); `devices` fixes each one's colour. */
  show(reports: readonly LocatedReport[], devices: readonly string[], until: number): void {
    this.#layer.clearLayers();
    const bounds: L.LatLngExpression[] = [];
    devices.forEach((device, d) => {
      const colour = colourOf(d);
      const track = reports
        .filter((r) => r.device === device && r.timestamp.getTime() <= until)
        .sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
      if (track.length === 0) return;
      const points = track.map((r) => [r.latitude, r.longitude] as L.LatLngTuple);
      bounds.push(...points);
      L.polyline(points, { color: colour, weight: 2, opacity: 0.7, className: 'cf-track' }).addTo(this.#layer);
      for (const r of track)
        L.circleMarker([r.latitude, r.longitude], {
          radius: 3,
          color: colour,
          weight: 1,
          fillOpacity: 0.6,
          className: r.selfReport ? 'cf-point cf-self' : 'cf-point',
        })
          .bindTooltip(textTooltip(`${device}: ${r.timestamp.toISOString()} ±${r.accuracy} m`))
          .addTo(this.#layer);
      const newest = track[track.length - 1]!;
      L.circle([newest.latitude, newest.longitude], {
        radius: Math.max(newest.accuracy, 1),
        color: colour,
        weight: 1,
        fillOpacity: 0.15,
        className: 'cf-accuracy',
      }).addTo(this.#layer);
      L.circleMarker([newest.latitude, newest.longitude], {
        radius: 8,
        color: '#fff',
        weight: 2,
        fillColor: colour,
        fillOpacity: 1,
        className: 'cf-newest',
      })
        .bindTooltip(textTooltip(`${device}, ${newest.timestamp.toISOString()}`), { permanent: false })
        .addTo(this.#layer);
    });
    if (!this.#fitted && bounds.length > 0) {
      this.#map.fitBounds(L.latLngBounds(bounds), { padding: [30, 30], maxZoom: 16 });
      this.#fitted = true;
    }
  }

  /** Forgets the last framing, so the next `show` fits the map to what it draws. */
  refit(): void {
    this.#fitted = false;
  }

  invalidateSize(): void {
    this.#map.invalidateSize();
  }
}
