import type { LocationReport } from '../crypto/index.ts';

/** The shape of docs/vectors.json, as far as the tests read it. */
export interface KeyVector {
  label: string;
  private_key_hex: string;
  private_key_b64: string;
  private_key_apple85_hex: string;
  public_uncompressed_hex: string;
  public_compressed_hex: string;
  adv_key_hex: string;
  adv_key_b64: string;
  hashed_adv_key_hex: string;
  hashed_adv_key_b64: string;
  sha256_of_uncompressed_b64_NOT_the_id: string;
  ble_address: string;
  ble_address_hci_lsb_first_hex: string;
  advertisement: {
    status: number;
    hint: number;
    manufacturer_data_hex: string;
    ad_structure_hex: string;
    nearby_manufacturer_data_hex: string;
    nearby_ad_structure_hex: string;
  };
}

export interface ReportVector {
  name: string;
  inputs: {
    owner_private_key_hex: string;
    owner_adv_key_b64: string;
    owner_hashed_adv_key_b64: string;
    ephemeral_private_key_hex: string;
    timestamp_unix: number;
    timestamp_apple_seconds: number;
    confidence: number;
    latitude: number;
    longitude: number;
    horizontal_accuracy: number;
    status: number;
  };
  intermediate: {
    ephemeral_public_uncompressed_hex: string;
    ecdh_shared_secret_hex: string;
    kdf_output_hex: string;
    aes_key_hex: string;
    gcm_iv_hex: string;
    plaintext_hex: string;
    ciphertext_hex: string;
    tag_hex: string;
  };
  payload_88_hex: string;
  payload_88_b64: string;
  payload_89_hex: string;
  payload_89_b64: string;
  decrypted: {
    timestamp_unix: number;
    confidence: number;
    latitude: number;
    longitude: number;
    lat_e7: number;
    lon_e7: number;
    horizontal_accuracy: number;
    status: number;
  };
}

export interface RollingKeyVector {
  index: number;
  sk_hex: string;
  diversify_72_hex: string;
  u_hex: string;
  v_hex: string;
  private_key_hex: string;
  adv_key_hex: string;
  adv_key_b64: string;
  hashed_adv_key_b64: string;
  ble_address: string;
}

/** A lost-mode notice (docs/protocol.md §13), computed by scripts/lost-mode-vectors.py. */
export interface NoticeVector {
  name: string;
  inputs: {
    private_key_hex: string;
    message: string;
    contact: string;
    contact_kind: 'phone' | 'email';
    expires_at: number;
    nonce_hex: string;
  };
  intermediate: {
    adv_key_hex: string;
    hashed_id_b64: string;
    notice_key_hex: string;
    associated_data_hex: string;
    plaintext_before_signature_hex: string;
    signature_hex: string;
  };
  notice_hex: string;
  withdraw_token_hex: string;
  withdraw_hash_hex: string;
}

/** A self-report (docs/protocol.md §14), computed by scripts/lost-mode-vectors.py. */
export interface SelfReportVector {
  name: string;
  inputs: {
    private_key_hex: string;
    timestamp_unix: number;
    latitude: number;
    longitude: number;
    accuracy: number;
    status: number;
    confidence: number;
  };
  intermediate: {
    shared_info_hex: string;
    ephemeral_private_key_hex: string;
    ephemeral_public_uncompressed_hex: string;
  };
  payload_88_hex: string;
}

/** A channel message (docs/protocol.md §17), sealed by scripts/lost-mode-vectors.py with Python's HPKE. */
export interface ChannelVector {
  name: string;
  inputs: {
    secret_hex: string;
    kind: 'to-device';
    day: number;
    owner_signing_key_hex: string;
    owner_encryption_key_hex: string;
    device_signing_key_hex: string;
    device_encryption_key_hex: string;
    body: string;
  };
  intermediate: {
    capability_hex: string;
    mailbox_id_hex: string;
    owner_signing_public_hex: string;
    owner_encryption_public_hex: string;
    device_encryption_public_hex: string;
    signature_hex: string;
  };
  sealed_hex: string;
}

export interface Vectors {
  keys: KeyVector[];
  channel: ChannelVector[];
  notices: NoticeVector[];
  self_reports: SelfReportVector[];
  upstream_key_vectors: Array<{
    privateKey_85_hex?: string;
    advertisedKey_b64?: string;
    hashedKey_b64?: string;
    adv_key_b64?: string;
    expected_ble_address_hex?: string;
    expected_hashed_adv_key_b64?: string;
    manufacturer_data_hex?: string;
    expected_public_key_payload_hex?: string;
  }>;
  reports: ReportVector[];
  rolling_keys: {
    chain_A_upstream: {
      master_private_key_hex: string;
      sk0_hex: string;
      upstream_expected_adv_keys_b64_indices_1_to_4: string[];
      keys: RollingKeyVector[];
    };
    chain_B: {
      master_private_key_hex: string;
      master_public_uncompressed_hex: string;
      skn_hex: string;
      sks_hex: string;
      primary: RollingKeyVector[];
      secondary: RollingKeyVector[];
      primary_to_secondary_index_examples: Array<{ primary_index: number; secondary_candidates: number[] }>;
      time_to_index_examples: {
        paired_at: string;
        examples: Array<{
          t: string;
          nominal_primary_index: number;
          nominal_secondary_index: number;
          findmypy_max_index: number;
        }>;
      };
    };
  };
  advertisement: {
    private_key_hex: string;
    adv_key_hex: string;
    status: number;
    hint: number;
    ble_random_static_address: string;
    ble_address_hci_lsb_first_hex: string;
    manufacturer_data_hex: string;
    ad_structure_31_bytes_hex: string;
  };
  real_world_payloads: {
    items: Array<{
      payload_hex: string;
      length: number;
      timestamp_iso: string;
      byte4_extra: number;
      byte5_confidence: number;
      ephemeral_key_at_6_on_curve: boolean;
      bytes_5_to_62_parse_as_point: boolean;
    }>;
  };
}

/** The location report a report vector seals, as crypto/ takes it. */
export function locationReportOf(v: ReportVector): LocationReport {
  return {
    timestamp: new Date(v.inputs.timestamp_unix * 1000),
    confidence: v.inputs.confidence,
    latitude: v.inputs.latitude,
    longitude: v.inputs.longitude,
    accuracy: v.inputs.horizontal_accuracy,
    status: v.inputs.status,
  };
}
