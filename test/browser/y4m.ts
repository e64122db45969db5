// A QR code as a Y4M (YUV4MPEG2) video for Chromium's fake camera: written by hand here, header
// and frames, so that the camera test depends on no video tool. 4:2:0 planes: Y from the QR
// modules (black 16, white 235), scaled up with a quiet zone and centred; U and V all 128 (grey).

import { writeFile } from "node:fs/promises";
import { encode } from "uqr";

export const Y4M = { width: 640, height: 480, frames: 4 } as const;

/** The frames of a Y4M file showing `text` as a QR code. */
export function qrY4m(text: string): Buffer {
  const { width: w, height: h, frames } = Y4M;
  const modules = encode(text, { ecc: "M", border: 4 }).data; // four modules of quiet zone
  const n = modules.length;
  const scale = Math.floor(Math.min(w, h) / n);
  if (scale < 3) throw new Error(`a QR code of ${n} modules is too big for ${w}x${h}`);
  const left = Math.floor((w - n * scale) / 2);
  const top = Math.floor((h - n * scale) / 2);
  const y = Buffer.alloc(w * h, 235);
  for (let row = 0; row < n * scale; row++)
    for (let col = 0; col < n * scale; col++)
      if (modules[Math.floor(row / scale)]![Math.floor(col / scale)])
        y[(top + row) * w + left + col] = 16;
  const chroma = Buffer.alloc((w / 2) * (h / 2), 128);
  const frame = Buffer.concat([Buffer.from("FRAME\n"), y, chroma, chroma]);
  const header = Buffer.from(`YUV4MPEG2 W${w} H${h} F10:1 Ip A1:1 C420jpeg\n`);
  return Buffer.concat([header, ...Array.from({ length: frames }, () => frame)]);
}

/** Writes `text` as a QR video to `file` (what --use-file-for-fake-video-capture plays). */
export async function writeQrVideo(file: string, text: string): Promise<void> {
  await writeFile(file, qrY4m(text));
}
