/** Real image bytes for the simulators, written by hand so every answer decodes as what it claims. */
/* eslint-disable @n8n/community-nodes/no-restricted-imports -- test fixture code, never shipped */
import { randomFillSync } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';

const CRC_TABLE = new Uint32Array(256).map((_, n) => {
	let c = n;
	for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
	return c >>> 0;
});

function crc32(buffer: Buffer): number {
	let crc = 0xffffffff;
	for (const byte of buffer) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
	return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
	const length = Buffer.alloc(4);
	length.writeUInt32BE(data.length);
	const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
	const crc = Buffer.alloc(4);
	crc.writeUInt32BE(crc32(body));
	return Buffer.concat([length, body, crc]);
}

const pngCache = new Map<string, Buffer>();

/** A width × height RGB PNG whose colours depend on `seed`, so different tasks give different images. */
export function makePng(width: number, height: number, seed = 1): Buffer {
	const key = `${width}x${height}:${seed}`;
	const cached = pngCache.get(key);
	if (cached) return cached;
	// Rows are copied from a few templates (a horizontal gradient in 16 blue bands): fast even at 16 megapixels.
	const row = 1 + width * 3;
	const raw = Buffer.alloc(row * height);
	const r0 = (seed * 67) % 256;
	const g0 = (seed * 131) % 256;
	const bands = Array.from({ length: 16 }, (_, band) => {
		const template = Buffer.alloc(row);
		for (let x = 0; x < width; x++) {
			template[1 + x * 3] = Math.floor(r0 * 0.2 + (x / Math.max(1, width - 1)) * 200);
			template[2 + x * 3] = g0;
			template[3 + x * 3] = band * 17;
		}
		return template;
	});
	for (let y = 0; y < height; y++) {
		bands[Math.min(15, Math.floor((y * 16) / height))].copy(raw, y * row);
	}
	const header = Buffer.alloc(13);
	header.writeUInt32BE(width, 0);
	header.writeUInt32BE(height, 4);
	header[8] = 8; // bit depth
	header[9] = 2; // colour type: RGB
	const png = Buffer.concat([
		Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
		chunk('IHDR', header),
		chunk('IDAT', deflateSync(raw, { level: 1 })),
		chunk('IEND', Buffer.alloc(0)),
	]);
	if (pngCache.size > 64) pngCache.clear();
	pngCache.set(key, png);
	return png;
}

/** Reads width, height and colour type back from a PNG and inflates it, proving it decodes. */
export function decodePng(png: Buffer): { width: number; height: number; pixels: Buffer } {
	if (png.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
	let offset = 8;
	let width = 0;
	let height = 0;
	const idat: Buffer[] = [];
	while (offset < png.length) {
		const length = png.readUInt32BE(offset);
		const type = png.toString('latin1', offset + 4, offset + 8);
		const data = png.subarray(offset + 8, offset + 8 + length);
		const crc = png.readUInt32BE(offset + 8 + length);
		if (crc !== crc32(png.subarray(offset + 4, offset + 8 + length)))
			throw new Error(`bad CRC in ${type}`);
		if (type === 'IHDR') {
			width = data.readUInt32BE(0);
			height = data.readUInt32BE(4);
		}
		if (type === 'IDAT') idat.push(data);
		offset += 12 + length;
	}
	const pixels = inflateSync(Buffer.concat(idat));
	if (pixels.length !== height * (1 + width * 3))
		throw new Error('PNG pixel data has the wrong size');
	return { width, height, pixels };
}

export type ImageFormat = 'png' | 'webp' | 'jpeg';

export const MIME_TYPES: Record<ImageFormat, string> = {
	png: 'image/png',
	webp: 'image/webp',
	jpeg: 'image/jpeg',
};

/** Real WebP or JPEG bytes (encoded by sharp), or our own PNG. */
export async function makeImage(
	format: ImageFormat,
	width: number,
	height: number,
	seed = 1,
): Promise<Buffer> {
	if (format === 'png') return makePng(width, height, seed);
	const sharp = (await import('sharp')).default;
	const image = sharp(makePng(width, height, seed));
	return format === 'webp'
		? await image.webp({ quality: 80 }).toBuffer()
		: await image.jpeg({ quality: 85 }).toBuffer();
}

/** Decodes any of the three formats and reports what it really is. */
export async function decodeImage(
	bytes: Buffer,
): Promise<{ format: string; width: number; height: number }> {
	const sharp = (await import('sharp')).default;
	const { format, width, height } = await sharp(bytes).metadata();
	return { format: String(format), width: width ?? 0, height: height ?? 0 };
}

/**
 * A PNG of random pixels, stored without compression: its file is as large as its pixels
 * (a 4096×4096 one is about 50 MB), as a photo-like result would roughly be.
 */
export function makeNoisyPng(width: number, height: number): Buffer {
	const row = 1 + width * 3;
	const raw = randomFillSync(Buffer.alloc(row * height));
	for (let y = 0; y < height; y++) raw[y * row] = 0;
	const header = Buffer.alloc(13);
	header.writeUInt32BE(width, 0);
	header.writeUInt32BE(height, 4);
	header[8] = 8;
	header[9] = 2;
	return Buffer.concat([
		Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
		chunk('IHDR', header),
		chunk('IDAT', deflateSync(raw, { level: 0 })),
		chunk('IEND', Buffer.alloc(0)),
	]);
}
