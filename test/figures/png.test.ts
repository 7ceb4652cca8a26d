import { strict as assert } from 'node:assert';
import { EadroError } from '../../src/core/errors.js';
import { isPng, pngInfo, PNG_SIGNATURE } from '../../src/figures/png.js';

/** A PNG header: signature, IHDR length 13, "IHDR", width, height, depth 8, colour type 6, ... */
function header(width: number, height: number): Uint8Array {
  const bytes = new Uint8Array(33);
  bytes.set(PNG_SIGNATURE, 0);
  const view = new DataView(bytes.buffer);
  view.setUint32(8, 13);
  bytes.set([0x49, 0x48, 0x44, 0x52], 12);
  view.setUint32(16, width);
  view.setUint32(20, height);
  bytes[24] = 8;
  bytes[25] = 6;
  return bytes;
}

describe('figures/png', () => {
  it('reads width, height, depth and colour type from IHDR', () => {
    assert.deepEqual(pngInfo(header(1600, 960)), { width: 1600, height: 960, bitDepth: 8, colorType: 6 });
  });

  it('rejects data that is not a PNG, naming the source', () => {
    const gif = new TextEncoder().encode('GIF89a................................');
    assert.equal(isPng(gif), false);
    assert.throws(() => pngInfo(gif, 'x.gif'), (e: unknown) => e instanceof EadroError && /Not a PNG/.test(e.message) && /x\.gif/.test(e.message));
  });
});
