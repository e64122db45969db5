// TEMPORARY stand-in for the upload module (until h5/upload lands): XEP-0363 slots, PUT that
// answers 201 only when the bytes hold no EICAR, GET 404 before that.
import { randomBytes } from "node:crypto";
import type { HatoModule } from "@hato/core";
import { xml } from "@hato/xml";

const NS = "urn:xmpp:http:upload:0";
const EICAR_TAIL = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE";

export function uploadStandin(host: () => string): HatoModule {
  return {
    name: "upload-standin",
    load(api) {
      api.addFeature(NS);
      const slots = new Map<string, { name: string; type: string; body?: Buffer }>();
      api.handleIq("get", "host", NS, "request", (ev) => {
        const r = ev.stanza.getChild("request", NS)!;
        const id = randomBytes(6).toString("hex");
        const secret = randomBytes(8).toString("hex");
        const name = encodeURIComponent(r.attr("filename") ?? "file");
        slots.set(`${id}/${secret}/${name}`, { name, type: r.attr("content-type") ?? "" });
        const url = `https://${host()}/upload/${id}/${secret}/${name}`;
        return xml("slot", { xmlns: NS }, xml("put", { url }), xml("get", { url }));
      });
      api.handleHttp(
        "/upload/",
        async (req, res, path) => {
          const key = path.replace(/^\/upload\//, "");
          const s = slots.get(key);
          const json = (status: number, body: unknown) => {
            res.writeHead(status, { "Content-Type": "application/json" });
            res.end(JSON.stringify(body));
          };
          if (s === undefined) return json(404, { error: "not-found", reason: "no such file" });
          if (req.method === "PUT") {
            const chunks: Buffer[] = [];
            for await (const c of req) chunks.push(c as Buffer);
            const body = Buffer.concat(chunks);
            await new Promise((r) => setTimeout(r, 300));
            if (body.includes(EICAR_TAIL))
              return json(422, {
                error: "infected",
                reason: "the file contains the EICAR test signature",
              });
            s.body = body;
            res.writeHead(201);
            res.end();
            return;
          }
          if (s.body === undefined) return json(404, { error: "not-found", reason: "not yet" });
          res.writeHead(200, {
            "Content-Type": s.type || "application/octet-stream",
            "Content-Disposition": "attachment",
            "Content-Length": String(s.body.length),
          });
          res.end(req.method === "HEAD" ? undefined : s.body);
        },
        { methods: ["GET", "HEAD", "PUT"] },
      );
    },
  };
}
