// P-224 specialised for its prime p = 2²²⁴ − 2⁹⁶ + 1, compiled to WebAssembly by AssemblyScript.
//
// Field elements are eight signed 64-bit limbs in radix 2²⁸ (64 bytes in linear memory). Limbs
// are "lazy": a product leaves every limb within ±2²⁸·(1 + 2⁻⁸), sums and differences of two
// such values stay below 2²⁹·⁰¹, and fmul/fsqr accept inputs whose limb sizes add up to less
// than 60 bits (eight 60-bit products fit a signed 64-bit column). Each point formula below
// notes where it relies on that budget; fmulSub/fsqrSub fold a subtraction into a product's
// reduction, and fcarry brings any lazy value back to product size.
//
// Secret scalars (the owner's key when opening, ephemeral keys when sealing, rolling private
// keys) are processed without secret-dependent branches or memory addresses: fixed windows,
// table lookups that read every entry, and masks instead of conditions. Constant-time:
// loadScalar (range check), recodeOdd, selectOdd, pmulSecret, pmulBase, the field arithmetic,
// finv, normalize and toBytes. Variable-time, on public data only: isBelowP and isOnCurve (a
// peer's point), the loops over a batch, and the JS wrapper (crypto/fast-p224.ts), which
// checks only lengths and leaves the range of a key to loadScalar.

const MASK: i64 = 0xfffffff;
const FE: usize = 64; // bytes per field element
const PT: usize = 3 * FE; // a Jacobian point (X, Y, Z)
const AFF: usize = 2 * FE; // an affine point (x, y)

/** Reports per call of the batch functions; the host splits larger batches. */
export const BATCH: i32 = 256;

// Input and output buffers shared with the host.
const SCALAR = memory.data(32);
const INPUT = memory.data(BATCH * 56);
const OUTPUT = memory.data(BATCH * 56);
const STATUS = memory.data(BATCH);

export function scalarBuffer(): usize { return SCALAR; }
export function inputBuffer(): usize { return INPUT; }
export function outputBuffer(): usize { return OUTPUT; }
export function statusBuffer(): usize { return STATUS; }

// Working memory.
const RESULTS = memory.data(256 * 192); // Jacobian results of a batch
const PREFIX = memory.data(256 * 16 * 64); // running products for a shared inversion
// P, 3P, …, 31P for each peer of a batch, made affine together (16 points of 192 bytes per peer)
const ODD = memory.data(256 * 16 * 192);
const COMB = memory.data(56 * 16 * 128); // j·16ⁱ·G for window i, j = 0‥15 (j = 0 unused)
const DIGITS = memory.data(64); // signed window digits of a recoded scalar
const WORDS = memory.data(48); // a scalar as 32-bit words while it is recoded
const T = memory.data(32 * 64); // temporaries: t(0) … t(31); finv alone uses t(24) … t(31)
const ACC = memory.data(192);
const SEL = memory.data(192);
const SUM = memory.data(192);
const DBL = memory.data(192);
let combReady = false;

@inline function t(i: usize): usize { return T + i * FE; }
@inline function X(p: usize): usize { return p; }
@inline function Y(p: usize): usize { return p + FE; }
@inline function Z(p: usize): usize { return p + 2 * FE; }

// ---------------------------------------------------------------------------------------------
// Field arithmetic

// Folds the 15 columns of a product into eight lazy limbs: carry columns 7–14 to 28 bits,
// replace each limb of weight 2²²⁴⁺²⁸ʲ by 2⁹⁶⁺²⁸ʲ − 2²⁸ʲ (as 2²²⁴ ≡ 2⁹⁶ − 1), then settle.
// Columns 0–6 (at most seven products each, below 2⁶²·⁷) need no carry before settling.
@inline function reduceColumns(
  r: usize, c0: i64, c1: i64, c2: i64, c3: i64, c4: i64, c5: i64, c6: i64, c7: i64,
  c8: i64, c9: i64, c10: i64, c11: i64, c12: i64, c13: i64, c14: i64,
): void {
  c8 += c7 >> 28; c7 &= MASK;
  c9 += c8 >> 28; c8 &= MASK;
  c10 += c9 >> 28; c9 &= MASK;
  c11 += c10 >> 28; c10 &= MASK;
  c12 += c11 >> 28; c11 &= MASK;
  c13 += c12 >> 28; c12 &= MASK;
  c14 += c13 >> 28; c13 &= MASK;
  const c15 = c14 >> 28; c14 &= MASK;
  // Highest first, so that limbs 13–15, which land on 8–10, are folded again below.
  c7 -= c15; c10 += c15 << 12;
  c6 -= c14; c9 += c14 << 12;
  c5 -= c13; c8 += c13 << 12;
  c4 -= c12; c7 += c12 << 12;
  c3 -= c11; c6 += c11 << 12;
  c2 -= c10; c5 += c10 << 12;
  c1 -= c9; c4 += c9 << 12;
  c0 -= c8; c3 += c8 << 12;
  settle(r, c0, c1, c2, c3, c4, c5, c6, c7);
}

// Carries eight signed limbs (each below 2⁶³ less a carry) to lazy form and stores them.
@inline function settle(r: usize, c0: i64, c1: i64, c2: i64, c3: i64, c4: i64, c5: i64, c6: i64, c7: i64): void {
  c1 += c0 >> 28; c0 &= MASK;
  c2 += c1 >> 28; c1 &= MASK;
  c3 += c2 >> 28; c2 &= MASK;
  c4 += c3 >> 28; c3 &= MASK;
  c5 += c4 >> 28; c4 &= MASK;
  c6 += c5 >> 28; c5 &= MASK;
  c7 += c6 >> 28; c6 &= MASK;
  const top = c7 >> 28; c7 &= MASK;
  c0 -= top; c3 += top << 12;
  c1 += c0 >> 28; c0 &= MASK;
  c2 += c1 >> 28; c1 &= MASK;
  c3 += c2 >> 28; c2 &= MASK;
  c4 += c3 >> 28; c3 &= MASK;
  store<i64>(r, c0, 0); store<i64>(r, c1, 8); store<i64>(r, c2, 16); store<i64>(r, c3, 24);
  store<i64>(r, c4, 32); store<i64>(r, c5, 40); store<i64>(r, c6, 48); store<i64>(r, c7, 56);
}

// r = a·b − k·c. The subtraction lands on the product's low columns before they are reduced,
// which saves a pass of its own; c's limbs stay below 2³², k is a small constant (0 skips it
// once inlined).
@inline function mulSub(r: usize, a: usize, b: usize, c: usize, k: i64): void {
  const a0 = load<i64>(a, 0), a1 = load<i64>(a, 8), a2 = load<i64>(a, 16), a3 = load<i64>(a, 24);
  const a4 = load<i64>(a, 32), a5 = load<i64>(a, 40), a6 = load<i64>(a, 48), a7 = load<i64>(a, 56);
  const b0 = load<i64>(b, 0), b1 = load<i64>(b, 8), b2 = load<i64>(b, 16), b3 = load<i64>(b, 24);
  const b4 = load<i64>(b, 32), b5 = load<i64>(b, 40), b6 = load<i64>(b, 48), b7 = load<i64>(b, 56);
  let c0 = a0 * b0;
  let c1 = a0 * b1 + a1 * b0;
  let c2 = a0 * b2 + a1 * b1 + a2 * b0;
  let c3 = a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0;
  let c4 = a0 * b4 + a1 * b3 + a2 * b2 + a3 * b1 + a4 * b0;
  let c5 = a0 * b5 + a1 * b4 + a2 * b3 + a3 * b2 + a4 * b1 + a5 * b0;
  let c6 = a0 * b6 + a1 * b5 + a2 * b4 + a3 * b3 + a4 * b2 + a5 * b1 + a6 * b0;
  let c7 = a0 * b7 + a1 * b6 + a2 * b5 + a3 * b4 + a4 * b3 + a5 * b2 + a6 * b1 + a7 * b0;
  if (k != 0) {
    c0 -= k * load<i64>(c, 0); c1 -= k * load<i64>(c, 8); c2 -= k * load<i64>(c, 16); c3 -= k * load<i64>(c, 24);
    c4 -= k * load<i64>(c, 32); c5 -= k * load<i64>(c, 40); c6 -= k * load<i64>(c, 48); c7 -= k * load<i64>(c, 56);
  }
  reduceColumns(r, c0, c1, c2, c3, c4, c5, c6, c7,
    a1 * b7 + a2 * b6 + a3 * b5 + a4 * b4 + a5 * b3 + a6 * b2 + a7 * b1,
    a2 * b7 + a3 * b6 + a4 * b5 + a5 * b4 + a6 * b3 + a7 * b2,
    a3 * b7 + a4 * b6 + a5 * b5 + a6 * b4 + a7 * b3,
    a4 * b7 + a5 * b6 + a6 * b5 + a7 * b4,
    a5 * b7 + a6 * b6 + a7 * b5,
    a6 * b7 + a7 * b6,
    a7 * b7,
  );
}

// r = a² − k·c, as mulSub, with the cross products doubled once instead of computed twice.
@inline function sqrSub(r: usize, a: usize, c: usize, k: i64): void {
  const a0 = load<i64>(a, 0), a1 = load<i64>(a, 8), a2 = load<i64>(a, 16), a3 = load<i64>(a, 24);
  const a4 = load<i64>(a, 32), a5 = load<i64>(a, 40), a6 = load<i64>(a, 48), a7 = load<i64>(a, 56);
  const d0 = a0 << 1, d1 = a1 << 1, d2 = a2 << 1, d3 = a3 << 1, d4 = a4 << 1, d5 = a5 << 1, d6 = a6 << 1;
  let c0 = a0 * a0;
  let c1 = d0 * a1;
  let c2 = d0 * a2 + a1 * a1;
  let c3 = d0 * a3 + d1 * a2;
  let c4 = d0 * a4 + d1 * a3 + a2 * a2;
  let c5 = d0 * a5 + d1 * a4 + d2 * a3;
  let c6 = d0 * a6 + d1 * a5 + d2 * a4 + a3 * a3;
  let c7 = d0 * a7 + d1 * a6 + d2 * a5 + d3 * a4;
  if (k != 0) {
    c0 -= k * load<i64>(c, 0); c1 -= k * load<i64>(c, 8); c2 -= k * load<i64>(c, 16); c3 -= k * load<i64>(c, 24);
    c4 -= k * load<i64>(c, 32); c5 -= k * load<i64>(c, 40); c6 -= k * load<i64>(c, 48); c7 -= k * load<i64>(c, 56);
  }
  reduceColumns(r, c0, c1, c2, c3, c4, c5, c6, c7,
    d1 * a7 + d2 * a6 + d3 * a5 + a4 * a4,
    d2 * a7 + d3 * a6 + d4 * a5,
    d3 * a7 + d4 * a6 + a5 * a5,
    d4 * a7 + d5 * a6,
    d5 * a7 + a6 * a6,
    d6 * a7,
    a7 * a7,
  );
}

function fmul(r: usize, a: usize, b: usize): void { mulSub(r, a, b, 0, 0); }
function fsqr(r: usize, a: usize): void { sqrSub(r, a, 0, 0); }
/** r = a·b − k·c. */
function fmulSub(r: usize, a: usize, b: usize, c: usize, k: i64): void { mulSub(r, a, b, c, k); }
/** r = a² − k·c. */
function fsqrSub(r: usize, a: usize, c: usize, k: i64): void { sqrSub(r, a, c, k); }

function fsqrn(r: usize, a: usize, n: i32): void {
  fsqr(r, a);
  for (let i = 1; i < n; i++) fsqr(r, r);
}

@inline function fadd(r: usize, a: usize, b: usize): void {
  store<i64>(r, load<i64>(a, 0) + load<i64>(b, 0), 0);
  store<i64>(r, load<i64>(a, 8) + load<i64>(b, 8), 8);
  store<i64>(r, load<i64>(a, 16) + load<i64>(b, 16), 16);
  store<i64>(r, load<i64>(a, 24) + load<i64>(b, 24), 24);
  store<i64>(r, load<i64>(a, 32) + load<i64>(b, 32), 32);
  store<i64>(r, load<i64>(a, 40) + load<i64>(b, 40), 40);
  store<i64>(r, load<i64>(a, 48) + load<i64>(b, 48), 48);
  store<i64>(r, load<i64>(a, 56) + load<i64>(b, 56), 56);
}

@inline function fsub(r: usize, a: usize, b: usize): void {
  store<i64>(r, load<i64>(a, 0) - load<i64>(b, 0), 0);
  store<i64>(r, load<i64>(a, 8) - load<i64>(b, 8), 8);
  store<i64>(r, load<i64>(a, 16) - load<i64>(b, 16), 16);
  store<i64>(r, load<i64>(a, 24) - load<i64>(b, 24), 24);
  store<i64>(r, load<i64>(a, 32) - load<i64>(b, 32), 32);
  store<i64>(r, load<i64>(a, 40) - load<i64>(b, 40), 40);
  store<i64>(r, load<i64>(a, 48) - load<i64>(b, 48), 48);
  store<i64>(r, load<i64>(a, 56) - load<i64>(b, 56), 56);
}

/** r = k·a for a small constant k. */
@inline function fscale(r: usize, a: usize, k: i64): void {
  store<i64>(r, load<i64>(a, 0) * k, 0);
  store<i64>(r, load<i64>(a, 8) * k, 8);
  store<i64>(r, load<i64>(a, 16) * k, 16);
  store<i64>(r, load<i64>(a, 24) * k, 24);
  store<i64>(r, load<i64>(a, 32) * k, 32);
  store<i64>(r, load<i64>(a, 40) * k, 40);
  store<i64>(r, load<i64>(a, 48) * k, 48);
  store<i64>(r, load<i64>(a, 56) * k, 56);
}

/** Brings a lazy sum back to the limb size of a product. */
function fcarry(r: usize, a: usize): void {
  settle(r, load<i64>(a, 0), load<i64>(a, 8), load<i64>(a, 16), load<i64>(a, 24),
    load<i64>(a, 32), load<i64>(a, 40), load<i64>(a, 48), load<i64>(a, 56));
}

@inline function fcopy(r: usize, a: usize): void {
  memory.copy(r, a, FE);
}

@inline function fset(r: usize, small: i64): void {
  memory.fill(r, 0, FE);
  store<i64>(r, small);
}

/** r = mask ? a : r, for mask 0 or −1, reading and writing every limb either way (two limbs per SIMD lane pair). */
@inline function fselect(r: usize, a: usize, mask: i64): void {
  const m = i64x2.splat(mask);
  v128.store(r, v128.bitselect(v128.load(a, 0), v128.load(r, 0), m), 0);
  v128.store(r, v128.bitselect(v128.load(a, 16), v128.load(r, 16), m), 16);
  v128.store(r, v128.bitselect(v128.load(a, 32), v128.load(r, 32), m), 32);
  v128.store(r, v128.bitselect(v128.load(a, 48), v128.load(r, 48), m), 48);
}

// Limbs of p in radix 2²⁸: 2²²⁴ − 2⁹⁶ + 1.
const P0: i64 = 1, P3: i64 = 0xffff000, P_REST: i64 = MASK;

/** The unique representative in [0, p) with limbs in [0, 2²⁸): the form that is compared and encoded. */
function fcanon(r: usize, a: usize): void {
  // Each carry-and-fold narrows the value: after the second it lies in [0, 2²²⁴), and the third
  // leaves every limb exact, in [0, 2²⁸).
  fcarry(r, a);
  fcarry(r, r);
  fcarry(r, r);
  const c0 = load<i64>(r, 0), c1 = load<i64>(r, 8), c2 = load<i64>(r, 16), c3 = load<i64>(r, 24);
  const c4 = load<i64>(r, 32), c5 = load<i64>(r, 40), c6 = load<i64>(r, 48), c7 = load<i64>(r, 56);
  // Subtract p once if the value is at least p; keep the difference only when it did not borrow.
  let d0 = c0 - P0, d1 = c1, d2 = c2, d3 = c3 - P3, d4 = c4 - P_REST, d5 = c5 - P_REST, d6 = c6 - P_REST, d7 = c7 - P_REST;
  d1 += d0 >> 28; d0 &= MASK;
  d2 += d1 >> 28; d1 &= MASK;
  d3 += d2 >> 28; d2 &= MASK;
  d4 += d3 >> 28; d3 &= MASK;
  d5 += d4 >> 28; d4 &= MASK;
  d6 += d5 >> 28; d5 &= MASK;
  d7 += d6 >> 28; d6 &= MASK;
  const keep = ~(d7 >> 63); // −1 when the difference is non-negative
  d7 &= MASK;
  store<i64>(r, c0 ^ ((c0 ^ d0) & keep), 0);
  store<i64>(r, c1 ^ ((c1 ^ d1) & keep), 8);
  store<i64>(r, c2 ^ ((c2 ^ d2) & keep), 16);
  store<i64>(r, c3 ^ ((c3 ^ d3) & keep), 24);
  store<i64>(r, c4 ^ ((c4 ^ d4) & keep), 32);
  store<i64>(r, c5 ^ ((c5 ^ d5) & keep), 40);
  store<i64>(r, c6 ^ ((c6 ^ d6) & keep), 48);
  store<i64>(r, c7 ^ ((c7 ^ d7) & keep), 56);
}

/** −1 when a ≡ 0 (mod p), else 0, without branching on the value. */
function fisZero(a: usize): i64 {
  const c = t(23);
  fcanon(c, a);
  let any: i64 = 0;
  for (let i: usize = 0; i < FE; i += 8) any |= load<i64>(c + i);
  return (any - 1) >> 63;
}

/** r = a⁻¹ = a^(p−2), with p − 2 = (2¹²⁷ − 1)·2⁹⁷ + 2⁹⁶ − 1: a fixed chain of 223 squarings and 11 products. */
function finv(r: usize, a: usize): void {
  const e1 = t(24), e2 = t(25), e3 = t(26), e6 = t(27), e12 = t(28), e24 = t(29), e48 = t(30);
  // eₖ = a^(2ᵏ − 1)
  fcopy(e1, a);
  fsqr(e2, e1); fmul(e2, e2, e1);
  fsqr(e3, e2); fmul(e3, e3, e1);
  fsqrn(e6, e3, 3); fmul(e6, e6, e3);
  fsqrn(e12, e6, 6); fmul(e12, e12, e6);
  fsqrn(e24, e12, 12); fmul(e24, e24, e12);
  fsqrn(e48, e24, 24); fmul(e48, e48, e24);
  const e96 = e2, e120 = e3, e127 = e1;
  fsqrn(e96, e48, 48); fmul(e96, e96, e48);
  fsqrn(e120, e96, 24); fmul(e120, e120, e24);
  fsqrn(e127, e120, 6); fmul(e127, e127, e6);
  const e126 = e127;
  fsqr(e126, e126); fmul(e127, e126, a);
  fsqrn(r, e127, 97); fmul(r, r, e96);
}

// Big-endian bytes ↔ limbs. `bytes` holds 28 bytes.
function fromBytes(r: usize, bytes: usize): void {
  let acc: i64 = 0;
  let bits = 0;
  let limb: usize = 0;
  for (let i = 27; i >= 0; i--) {
    acc |= (<i64>load<u8>(bytes + <usize>i)) << bits;
    bits += 8;
    if (bits >= 28) {
      store<i64>(r + limb * 8, acc & MASK);
      acc >>= 28;
      bits -= 28;
      limb++;
    }
  }
}

function toBytes(bytes: usize, a: usize): void {
  const c = t(23);
  fcanon(c, a);
  let acc: i64 = 0;
  let bits = 0;
  let limb: usize = 0;
  for (let i = 27; i >= 0; i--) {
    if (bits < 8) {
      acc |= load<i64>(c + limb * 8) << bits;
      bits += 28;
      limb++;
    }
    store<u8>(bytes + <usize>i, <u8>acc);
    acc >>= 8;
    bits -= 8;
  }
}

/** True when 28 big-endian bytes encode a value below p. */
function isBelowP(bytes: usize): bool {
  const c = t(22);
  fromBytes(c, bytes);
  const canon = t(21);
  fcanon(canon, c);
  for (let i: usize = 0; i < FE; i += 8) if (load<i64>(c + i) != load<i64>(canon + i)) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Points: Jacobian (X : Y : Z) for x = X/Z², y = Y/Z³, with a = −3.

const B_BYTES = memory.data<u8>([
  0xb4, 0x05, 0x0a, 0x85, 0x0c, 0x04, 0xb3, 0xab, 0xf5, 0x41, 0x32, 0x56, 0x50, 0x44,
  0xb0, 0xb7, 0xd7, 0xbf, 0xd8, 0xba, 0x27, 0x0b, 0x39, 0x43, 0x23, 0x55, 0xff, 0xb4,
]);
const GX_BYTES = memory.data<u8>([
  0xb7, 0x0e, 0x0c, 0xbd, 0x6b, 0xb4, 0xbf, 0x7f, 0x32, 0x13, 0x90, 0xb9, 0x4a, 0x03,
  0xc1, 0xd3, 0x56, 0xc2, 0x11, 0x22, 0x34, 0x32, 0x80, 0xd6, 0x11, 0x5c, 0x1d, 0x21,
]);
const GY_BYTES = memory.data<u8>([
  0xbd, 0x37, 0x63, 0x88, 0xb5, 0xf7, 0x23, 0xfb, 0x4c, 0x22, 0xdf, 0xe6, 0xcd, 0x43,
  0x75, 0xa0, 0x5a, 0x07, 0x47, 0x64, 0x44, 0xd5, 0x81, 0x99, 0x85, 0x00, 0x7e, 0x34,
]);
// n, the group order, as eight little-endian 32-bit words.
const N_WORDS = memory.data<u32>([
  0x5c5c2a3d, 0x13dd2945, 0xe0b8f03e, 0xffff16a2, 0xffffffff, 0xffffffff, 0xffffffff, 0,
]);

/** y² = x³ − 3x + b for affine limbs x, y (already known to be below p). */
function isOnCurve(x: usize, y: usize): bool {
  const lhs = t(0), rhs = t(1), b = t(2);
  fsqr(lhs, y);
  fsqr(rhs, x);
  fset(b, 3);
  fsub(rhs, rhs, b); // x² − 3: limbs within 2²⁸·⁰¹ + 3
  fmul(rhs, rhs, x);
  fromBytes(b, B_BYTES);
  fadd(rhs, rhs, b);
  fsub(lhs, lhs, rhs);
  return fisZero(lhs) != 0;
}

/**
 * r = 2p (dbl-2001-b). Limb budget: 3(X−δ) < 2³⁰·⁶ times X+δ < 2²⁹·⁰¹, and α times 4β − X₃
 * < 2³⁰·⁴; X₃ and Y₃ come out of a reduction, so they are product-sized again.
 */
function pdouble(r: usize, p: usize): void {
  const delta = t(3), gamma = t(4), beta = t(5), alpha = t(6), u = t(7), v = t(8);
  fsqr(delta, Z(p));
  fsqr(gamma, Y(p));
  fmul(beta, X(p), gamma);
  fsub(u, X(p), delta);
  fscale(u, u, 3);
  fadd(v, X(p), delta);
  fmul(alpha, u, v);
  // Z₃ = (Y + Z)² − γ − δ = 2·Y·Z, before Y is overwritten when r = p: a squaring is cheaper
  // than a product.
  fadd(u, Y(p), Z(p));
  fadd(v, gamma, delta);
  fsqrSub(Z(r), u, v, 1);
  // X₃ = α² − 8β
  fsqrSub(X(r), alpha, beta, 8);
  // Y₃ = α·(4β − X₃) − 8γ²
  fscale(v, beta, 4);
  fsub(v, v, X(r));
  fsqr(u, gamma);
  fmulSub(Y(r), alpha, v, u, 8);
}

/**
 * r = p + q for Jacobian p, q that are neither equal, opposite nor at infinity (add-2004-hmv,
 * 12M + 4S). Callers rule those cases out by construction; see pmulSecret.
 */
function padd(r: usize, p: usize, q: usize): void {
  const z1z1 = t(3), z2z2 = t(4), u1 = t(5), u2 = t(6), s1 = t(7), s2 = t(8), h = t(9), rr = t(10), hh = t(11), hhh = t(12), v = t(13);
  fsqr(z1z1, Z(p));
  fsqr(z2z2, Z(q));
  fmul(u1, X(p), z2z2);
  fmul(u2, X(q), z1z1);
  fmul(s1, Y(p), Z(q));
  fmul(s1, s1, z2z2);
  fmul(s2, Y(q), Z(p));
  fmul(s2, s2, z1z1);
  fsub(h, u2, u1);
  fsub(rr, s2, s1);
  finishAdd(r, p, q, u1, s1, h, rr, hh, hhh, v);
}

/** r = p + q for Jacobian p and affine q (Z = 1), same conditions as padd (8M + 3S). */
function paddAffine(r: usize, p: usize, q: usize): void {
  const z1z1 = t(3), u2 = t(6), s2 = t(8), h = t(9), rr = t(10), hh = t(11), hhh = t(12), v = t(13);
  fsqr(z1z1, Z(p));
  fmul(u2, X(q), z1z1);
  fmul(s2, Y(q), Z(p));
  fmul(s2, s2, z1z1);
  fsub(h, u2, X(p));
  fsub(rr, s2, Y(p));
  finishAdd(r, p, 0, X(p), Y(p), h, rr, hh, hhh, v);
}

// The common tail of both additions: H = U₂ − U₁ and R = S₂ − S₁ are below 2²⁹·⁰¹.
@inline function finishAdd(r: usize, p: usize, q: usize, u1: usize, s1: usize, h: usize, rr: usize, hh: usize, hhh: usize, v: usize): void {
  const w = t(14);
  fsqr(hh, h);
  fmul(hhh, hh, h);
  fmul(v, u1, hh);
  // Z₃ = Z₁·Z₂·H (Z₂ = 1 for an affine q)
  fmul(w, Z(p), h);
  if (q != 0) fmul(w, w, Z(q));
  const s1hhh = t(15);
  fmul(s1hhh, s1, hhh);
  fcopy(Z(r), w);
  // X₃ = R² − (H³ + 2V)
  fadd(w, hhh, v);
  fadd(w, w, v);
  fsqrSub(X(r), rr, w, 1);
  // Y₃ = R·(V − X₃) − S₁·H³
  fsub(w, v, X(r));
  fmulSub(Y(r), rr, w, s1hhh, 1);
}

@inline function pcopy(r: usize, p: usize): void { memory.copy(r, p, PT); }

function pselect(r: usize, p: usize, mask: i64): void {
  fselect(X(r), X(p), mask);
  fselect(Y(r), Y(p), mask);
  fselect(Z(r), Z(p), mask);
}

// ---------------------------------------------------------------------------------------------
// Scalars

/** True when 28 big-endian bytes are a scalar in [1, n − 1]. Public knowledge: keys are checked before use. */
function loadScalar(bytes: usize): bool {
  // Little-endian 32-bit words, then k < n and k ≠ 0.
  for (let w: usize = 0; w < 7; w++) {
    const at = bytes + 24 - w * 4;
    store<u32>(WORDS + w * 4, bswap<u32>(load<u32>(at)));
  }
  store<u32>(WORDS + 28, 0);
  // k − n borrows exactly when k < n; computed over every word, without an early exit.
  let any: u32 = 0;
  let borrow: i64 = 0;
  for (let w: usize = 0; w < 7; w++) {
    const k = load<u32>(WORDS + w * 4);
    any |= k;
    borrow = (<i64>k - <i64>load<u32>(N_WORDS + w * 4) - borrow) >>> 63;
  }
  return (any != 0) & (borrow != 0);
}

/**
 * Recodes the scalar in WORDS as 45 odd digits in [−31, 31], top digit positive, without
 * branches: an even k is replaced by k + n (the same point, as nG = ∞), then each digit is
 * (k mod 64) − 32 and k becomes (k − digit)/32, which stays odd.
 */
function recodeOdd(): void {
  const even = <u64>((load<u32>(WORDS) & 1) ^ 1);
  let carry: u64 = 0;
  for (let w: usize = 0; w < 8; w++) {
    const sum = <u64>load<u32>(WORDS + w * 4) + (<u64>load<u32>(N_WORDS + w * 4) & (0 - even)) + carry;
    store<u32>(WORDS + w * 4, <u32>sum);
    carry = sum >> 32;
  }
  for (let i: usize = 0; i < 44; i++) {
    const digit = <i32>(load<u32>(WORDS) & 63) - 32;
    store<i8>(DIGITS + i, <i8>digit);
    // k −= digit, then k >>= 5, over eight words
    let borrow: i64 = digit;
    for (let w: usize = 0; w < 8; w++) {
      const v = <i64>load<u32>(WORDS + w * 4) - borrow;
      store<u32>(WORDS + w * 4, <u32>v);
      borrow = -(v >> 32);
    }
    for (let w: usize = 0; w < 8; w++) {
      const lo = load<u32>(WORDS + w * 4) >>> 5;
      const hi = w < 7 ? load<u32>(WORDS + w * 4 + 4) << 27 : 0;
      store<u32>(WORDS + w * 4, lo | hi);
    }
  }
  store<i8>(DIGITS + 44, <i8>load<u32>(WORDS));
}

/** SEL = table[|digit| ≫ 1] (affine, Z = 1) with y negated when digit < 0, reading all 16 entries. */
function selectOdd(table: usize, digit: i32): void {
  const sign = digit >> 31; // −1 when negative
  const index = ((digit ^ sign) - sign) >> 1;
  memory.fill(SEL, 0, AFF);
  for (let j = 0; j < 16; j++) {
    const mask = <i64>(((j ^ index) - 1) >> 31); // −1 when j == index
    const entry = table + <usize>j * PT;
    fselect(X(SEL), X(entry), mask);
    fselect(Y(SEL), Y(entry), mask);
  }
  const negY = t(3);
  for (let i: usize = 0; i < FE; i += 8) store<i64>(negY + i, -load<i64>(Y(SEL) + i));
  fselect(Y(SEL), negY, <i64>sign);
  fset(Z(SEL), 1);
}

/** table[j] = (2j + 1)·P for the affine point (px, py), in Jacobian form; normalize makes it affine. */
function buildOddTable(table: usize, px: usize, py: usize): void {
  fcopy(X(table), px);
  fcopy(Y(table), py);
  fset(Z(table), 1);
  pdouble(DBL, table);
  for (let j: usize = 1; j < 16; j++) padd(table + j * PT, table + (j - 1) * PT, DBL);
}

/**
 * r = k·P from P's affine odd-multiple table and k's digits (recodeOdd), in constant time.
 * Fixed 5-bit windows over odd digits never add ∞ and, for k ≠ 0, never add a point to itself
 * or its negative except possibly in the last step, where 32·s ≡ ±d (mod n) is possible for a
 * handful of scalars; that step alone also computes the doubling and selects by mask.
 */
function pmulSecret(r: usize, table: usize): void {
  selectOdd(table, <i32>load<i8>(DIGITS + 44));
  pcopy(ACC, SEL);
  for (let i = 43; i >= 0; i--) {
    for (let s = 0; s < 5; s++) pdouble(ACC, ACC);
    selectOdd(table, <i32>load<i8>(DIGITS + <usize>i));
    if (i > 0) {
      paddAffine(ACC, ACC, SEL);
    } else {
      paddAffine(SUM, ACC, SEL);
      // H = 0 means ACC = ±SEL: the sum is then 2·SEL (when equal) or ∞ (k ≡ 0, excluded).
      const h = t(9);
      const same = fisZero(h);
      pdouble(DBL, SEL);
      pselect(SUM, DBL, same);
      pcopy(r, SUM);
    }
  }
}

/** The comb for G: COMB[i][j] = j·16ⁱ·G in affine form, built once. */
function buildComb(): void {
  const g = ACC;
  fromBytes(X(g), GX_BYTES);
  fromBytes(Y(g), GY_BYTES);
  fset(Z(g), 1);
  // Jacobian entries go to RESULTS in chunks and are made affine with one shared inversion
  // per chunk; the table base of window i + 1 is 16 times that of window i.
  const row = RESULTS; // 15 Jacobian points per window
  for (let i: usize = 0; i < 56; i++) {
    pcopy(row, g);
    pdouble(row + PT, g);
    for (let j: usize = 2; j < 15; j++) padd(row + j * PT, row + (j - 1) * PT, g);
    padd(g, row + 14 * PT, g); // 16·16ⁱ·G
    normalize(row, 15);
    for (let j: usize = 0; j < 15; j++) {
      const entry = COMB + (i * 16 + j + 1) * AFF;
      fcopy(entry, X(row + j * PT));
      fcopy(entry + FE, Y(row + j * PT));
    }
  }
  combReady = true;
}

/**
 * r = k·G for the scalar in WORDS (k in [1, n − 1]), in constant time: one affine comb entry per
 * 4-bit window. No partial sum can equal ± the entry added to it; ∞ (a zero digit, or an
 * accumulator that has only seen zero digits) is handled by masks.
 */
function pmulBase(r: usize): void {
  let accIsInfinity: i64 = -1;
  memory.fill(r, 0, PT);
  fset(Z(r), 1);
  const entry = t(0); // affine x, y in t(0), t(1)
  for (let i: usize = 0; i < 56; i++) {
    const digit = <i32>((load<u32>(WORDS + (i >> 3) * 4) >>> (<u32>(i & 7) * 4)) & 15);
    memory.fill(entry, 0, AFF);
    for (let j = 1; j < 16; j++) {
      const mask = <i64>(((j ^ digit) - 1) >> 31);
      const at = COMB + (i * 16 + <usize>j) * AFF;
      fselect(entry, at, mask);
      fselect(entry + FE, at + FE, mask);
    }
    const digitIsZero = <i64>((digit - 1) >> 31);
    paddAffine(SUM, r, entry);
    // ∞ + Q = Q
    fcopy(X(DBL), entry);
    fcopy(Y(DBL), entry + FE);
    fset(Z(DBL), 1);
    pselect(SUM, DBL, accIsInfinity);
    // P + ∞ = P
    pselect(SUM, r, digitIsZero & ~accIsInfinity);
    pcopy(r, SUM);
    accIsInfinity &= digitIsZero;
  }
}

/** Makes `count` Jacobian points at `points` affine in place (Z = 1), with one inversion (Montgomery's trick). */
function normalize(points: usize, count: i32): void {
  if (count == 0) return;
  fcopy(PREFIX, Z(points));
  for (let i = 1; i < count; i++) fmul(PREFIX + <usize>i * FE, PREFIX + <usize>(i - 1) * FE, Z(points + <usize>i * PT));
  const inv = t(20), zinv = t(21), zinv2 = t(22);
  finv(inv, PREFIX + <usize>(count - 1) * FE);
  for (let i = count - 1; i >= 0; i--) {
    const p = points + <usize>i * PT;
    if (i > 0) {
      fmul(zinv, inv, PREFIX + <usize>(i - 1) * FE);
      fmul(inv, inv, Z(p));
    } else {
      fcopy(zinv, inv);
    }
    fsqr(zinv2, zinv);
    fmul(X(p), X(p), zinv2);
    fmul(zinv2, zinv2, zinv);
    fmul(Y(p), Y(p), zinv2);
    fset(Z(p), 1);
  }
}

// ---------------------------------------------------------------------------------------------
// Exported batch operations. Status 1 marks a good item, 0 a rejected one.

/**
 * For the private key in the scalar buffer and `count` peer points (x ‖ y, 56 bytes each) in the
 * input buffer: the 28-byte x coordinate of k·P for each, in the output buffer. A point that is
 * not on the curve gets status 0. Returns 0 when the scalar is not in [1, n − 1].
 */
export function sharedSecrets(count: i32): i32 {
  if (!loadScalar(SCALAR)) return 0;
  recodeOdd();
  // Every valid peer's odd-multiple table, made affine with one inversion for the batch, so
  // that each window's addition is a mixed one.
  const px = t(16), py = t(17);
  let tables = 0;
  for (let i = 0; i < count; i++) {
    const at = INPUT + <usize>i * 56;
    const valid = isBelowP(at) && isBelowP(at + 28) && pointOnCurve(at, px, py);
    store<u8>(STATUS + <usize>i, valid ? 1 : 0);
    if (valid) buildOddTable(ODD + <usize>(tables++) * 16 * PT, px, py);
  }
  normalize(ODD, tables * 16);
  tables = 0;
  for (let i = 0; i < count; i++) {
    const out = RESULTS + <usize>i * PT;
    if (load<u8>(STATUS + <usize>i) == 1) {
      pmulSecret(out, ODD + <usize>(tables++) * 16 * PT);
    } else {
      memory.fill(out, 0, PT);
      fset(Z(out), 1);
    }
  }
  normalize(RESULTS, count);
  for (let i = 0; i < count; i++) toBytes(OUTPUT + <usize>i * 28, X(RESULTS + <usize>i * PT));
  return 1;
}

function pointOnCurve(at: usize, px: usize, py: usize): bool {
  fromBytes(px, at);
  fromBytes(py, at + 28);
  return isOnCurve(px, py);
}

/** Status 1 for each input point (x ‖ y) that is on the curve. */
export function validatePoints(count: i32): void {
  const px = t(16), py = t(17);
  for (let i = 0; i < count; i++) {
    const at = INPUT + <usize>i * 56;
    store<u8>(STATUS + <usize>i, isBelowP(at) && isBelowP(at + 28) && pointOnCurve(at, px, py) ? 1 : 0);
  }
}

/** For `count` 28-byte scalars in the input buffer: k·G as x ‖ y (56 bytes) in the output buffer. */
export function basePoints(count: i32): void {
  if (!combReady) buildComb();
  for (let i = 0; i < count; i++) {
    const out = RESULTS + <usize>i * PT;
    const valid = loadScalar(INPUT + <usize>i * 28);
    store<u8>(STATUS + <usize>i, valid ? 1 : 0);
    if (valid) {
      pmulBase(out);
    } else {
      memory.fill(out, 0, PT);
      fset(Z(out), 1);
    }
  }
  normalize(RESULTS, count);
  for (let i = 0; i < count; i++) {
    const p = RESULTS + <usize>i * PT;
    toBytes(OUTPUT + <usize>i * 56, X(p));
    toBytes(OUTPUT + <usize>i * 56 + 28, Y(p));
  }
}

