/**
 * Minimal PNG header reading: enough to check that an exported image is a PNG and has the size we
 * asked for, without an image library.
 */
import { EadroError } from '../core/errors.js';

/** The 8-byte PNG signature (PNG spec §5.2). */
export const PNG_SIGNATURE: readonly number[] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export interface PngInfo {
  /** Pixels. */
  width: number;
  /** Pixels. */
  height: number;
  /** Bit depth per channel (1, 2, 4, 8 or 16). */
  bitDepth: number;
  /** PNG colour type (0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA). */
  colorType: number;
}

/** Whether the bytes start with the PNG signature. */
export function isPng(bytes: Uint8Array): boolean {
  if (bytes.length < PNG_SIGNATURE.length) return false;
  return PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

/**
 * Read width, height, bit depth and colour type from the IHDR chunk, which the spec requires to come
 * first: signature (8 bytes), chunk length (4), "IHDR" (4), width (4, big-endian), height (4), ...
 */
export function pngInfo(bytes: Uint8Array, source = 'PNG data'): PngInfo {
  if (!isPng(bytes)) {
    throw new EadroError('Not a PNG image.', { file: source, expected: 'the 8-byte PNG signature', found: `${bytes.length} bytes` });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunkType = String.fromCharCode(...bytes.subarray(12, 16));
  if (bytes.length < 29 || chunkType !== 'IHDR') {
    throw new EadroError('PNG image has no IHDR chunk first.', { file: source, field: 'IHDR', found: chunkType });
  }
  return {
    width: view.getUint32(16),
    height: view.getUint32(20),
    bitDepth: view.getUint8(24),
    colorType: view.getUint8(25),
  };
}
