/**
 * Home Assistant's MQTT device tracker, fed from the owner's side: a discovery message makes each
 * device appear in Home Assistant by itself, and each decrypted location is published as the
 * tracker's GPS attributes. Plain locations exist only on the owner's side, so this is where the
 * integration belongs, never on the server. Pure: topics and payloads; the CLI publishes them.
 */
import type { LocatedReport } from './owner.ts';

/** One MQTT message. Both kinds are retained, so Home Assistant has them after a restart. */
export interface MqttMessage {
  readonly topic: string;
  readonly payload: string;
  readonly retain: true;
}

/** A device's id in topics: its name in lower-case letters, digits and underscores. */
export function trackerId(device: string): string {
  return `crowdfind_${
    device
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_|_$/g, '') || 'device'
  }`;
}

const attributesTopic = (base: string, device: string) => `${base}/${trackerId(device)}/attributes`;

/**
 * The discovery message of a device: `<prefix>/device_tracker/<id>/config`.
 * @example homeAssistantDiscovery('Backpack').topic // 'homeassistant/device_tracker/crowdfind_backpack/config'
 */
export function homeAssistantDiscovery(device: string, prefix = 'homeassistant', base = 'crowdfind'): MqttMessage {
  const id = trackerId(device);
  return {
    topic: `${prefix}/device_tracker/${id}/config`,
    payload: JSON.stringify({
      name: null,
      unique_id: id,
      object_id: id,
      json_attributes_topic: attributesTopic(base, device),
      source_type: 'gps',
      device: { identifiers: [id], name: device, manufacturer: 'Crowdfind', model: 'offline-finding accessory' },
    }),
    retain: true,
  };
}

/**
 * A located report as the tracker's attributes: latitude, longitude, gps_accuracy, and when.
 * @example homeAssistantLocation(report).payload // '{"latitude":52.52,…}'
 */
export function homeAssistantLocation(report: LocatedReport, base = 'crowdfind'): MqttMessage {
  return {
    topic: attributesTopic(base, report.device),
    payload: JSON.stringify({
      latitude: report.latitude,
      longitude: report.longitude,
      gps_accuracy: report.accuracy,
      last_seen: report.timestamp.toISOString(),
      self_report: report.selfReport,
    }),
    retain: true,
  };
}
