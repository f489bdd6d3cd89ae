const OFFSET = 14695981039346656037n;
const PRIME = 1099511628211n;
const MASK = (1n << 64n) - 1n;
const SEPARATOR = 0xff;
const utf8 = new TextEncoder();

/**
 * Alertmanager's fingerprint of a label set (prometheus/common `LabelSet.Fingerprint`: FNV-1a 64 over the labels
 * sorted by name, each as name, 0xff, value, 0xff), as the 16 hex digits its webhook sends. For a body that leaves
 * `fingerprint` out (written by hand, or by a tool imitating Alertmanager): the alert gets the very identity
 * Alertmanager would have given it, so its resolve finds it whichever of the two sent it.
 */
export function labelsFingerprint(labels: Readonly<Record<string, string>>): string {
  let h = OFFSET;
  const add = (bytes: Uint8Array | number[]) => {
    for (const b of bytes) h = ((h ^ BigInt(b)) * PRIME) & MASK;
  };
  for (const name of Object.keys(labels).sort()) {
    add(utf8.encode(name));
    add([SEPARATOR]);
    add(utf8.encode(labels[name]!));
    add([SEPARATOR]);
  }
  return h.toString(16).padStart(16, '0');
}
