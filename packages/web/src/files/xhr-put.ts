// The browser's PUT for uploads: XMLHttpRequest, because fetch cannot report upload progress.
import type { PutFunction } from "@hato/sdk";

/** PUTs `body` (a File or Blob) and reports bytes sent; resolves with any HTTP answer. */
export const xhrPut: PutFunction = (url, body, headers, onProgress) =>
  new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open("PUT", url);
    for (const [name, value] of Object.entries(headers)) x.setRequestHeader(name, value);
    // A File, or the ciphertext of an encrypted one.
    const total = body instanceof Uint8Array ? body.length : (body as Blob).size;
    x.upload.onprogress = (e) => onProgress?.(e.loaded, e.lengthComputable ? e.total : total);
    // Every byte is out: what remains is the server's scan.
    x.upload.onload = () => onProgress?.(total, total);
    x.onload = () => resolve({ status: x.status, body: x.responseText });
    x.onerror = () => reject(new Error("the connection to the server failed"));
    x.onabort = () => reject(new Error("the upload was cancelled"));
    x.send(body as Blob | Uint8Array<ArrayBuffer>);
  });
