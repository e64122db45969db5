// QR codes for verification: our own code drawn as SVG elements (uqr encodes, Preact draws;
// no markup from strings), and a scanner reading the camera through a canvas into jsQR. Both
// libraries load on first use, so the first bundle does not carry them.
import { useEffect, useRef, useState } from "preact/hooks";

/** A QR code of `text` as an SVG path of its dark modules, with a quiet zone of four modules. */
export function QrCode({ text, label }: { text: string; label: string }) {
  const [modules, setModules] = useState<boolean[][] | undefined>(undefined);
  useEffect(() => {
    let live = true;
    import("uqr").then(
      ({ encode }) => live && setModules(encode(text, { ecc: "M", border: 4 }).data),
      () => live && setModules([]),
    );
    return () => {
      live = false;
    };
  }, [text]);
  if (modules === undefined) return <p class="muted">Drawing the code…</p>;
  if (modules.length === 0) return <p role="alert">The code could not be drawn.</p>;
  let d = "";
  modules.forEach((row, y) => {
    row.forEach((dark, x) => {
      if (dark) d += `M${x} ${y}h1v1h-1z`;
    });
  });
  const n = modules.length;
  return (
    <svg
      class="qr"
      role="img"
      aria-label={label}
      viewBox={`0 0 ${n} ${n}`}
      width={Math.max(200, n * 5)}
      height={Math.max(200, n * 5)}
      shape-rendering="crispEdges"
    >
      <rect width={n} height={n} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}

type Decode = typeof import("jsqr").default;

/**
 * The camera's picture, read a few times a second until a QR code is found: `onCode` gets its
 * text once and the camera is stopped. `onError` gets why the camera could not be used.
 */
export function QrScanner({
  onCode,
  onError,
}: {
  onCode: (text: string) => void;
  onError: (text: string) => void;
}) {
  const video = useRef<HTMLVideoElement>(null);
  const [state, setState] = useState("Starting the camera…");
  useEffect(() => {
    let stream: MediaStream | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let done = false;
    const stop = () => {
      done = true;
      if (timer !== undefined) clearTimeout(timer);
      for (const t of stream?.getTracks() ?? []) t.stop();
    };
    const canvas = document.createElement("canvas");
    const scan = (decode: Decode) => {
      if (done) return;
      const v = video.current;
      if (v !== null && v.readyState >= 2 && v.videoWidth > 0) {
        // Bounded work per frame: a large camera picture is scaled down to 640 pixels wide.
        const scale = Math.min(1, 640 / v.videoWidth);
        canvas.width = Math.round(v.videoWidth * scale);
        canvas.height = Math.round(v.videoHeight * scale);
        const ctx = canvas.getContext("2d", { willReadFrequently: true });
        if (ctx !== null) {
          ctx.drawImage(v, 0, 0, canvas.width, canvas.height);
          const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
          const code = decode(img.data, img.width, img.height, { inversionAttempts: "dontInvert" });
          if (code !== null && code.data !== "") {
            stop();
            onCode(code.data);
            return;
          }
        }
      }
      timer = setTimeout(() => scan(decode), 200);
    };
    (async () => {
      try {
        const [{ default: decode }, s] = await Promise.all([
          import("jsqr"),
          navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }),
        ]);
        stream = s;
        if (done || video.current === null) return stop();
        video.current.srcObject = s;
        await video.current.play();
        setState("Point the camera at their code.");
        scan(decode);
      } catch (err) {
        if (done) return;
        stop();
        onError(
          `The camera could not be used: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    })();
    return stop;
  }, []);
  return (
    <div class="scanner">
      <video ref={video} class="camera" muted playsInline aria-label="Camera picture" />
      <p role="status">{state}</p>
    </div>
  );
}
