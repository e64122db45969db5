// `hato check-config`: the configuration, certificate and data folder, checked before starting.

import { createPrivateKey, X509Certificate } from "node:crypto";
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Config } from "@hato/core";

export async function checkConfig(config: Config): Promise<number> {
  const problems: string[] = [];
  if (config.tls.cert !== "") {
    try {
      const cert = new X509Certificate(readFileSync(config.tls.cert));
      const key = createPrivateKey(readFileSync(config.tls.key));
      if (!cert.checkPrivateKey(key))
        problems.push(`tls.key does not belong to the certificate in ${config.tls.cert}`);
      if (cert.checkHost(config.domain) === undefined)
        problems.push(`the certificate does not name ${config.domain}`);
      if (new Date(cert.validTo) < new Date())
        problems.push(`the certificate expired on ${cert.validTo}`);
    } catch (err) {
      problems.push(`TLS certificate or key unreadable: ${(err as Error).message}`);
    }
  }
  const folder = existsSync(config.data) ? config.data : dirname(config.data);
  try {
    accessSync(folder, constants.W_OK);
  } catch {
    problems.push(`the data folder ${config.data} is not writable`);
  }
  if (config.c2sPort !== 0 && config.c2sPort === config.tlsPort)
    problems.push("c2s-port and tls-port must differ");
  if (config.c2sPort === 0 && config.tlsPort === 0)
    problems.push("both client ports are off: nobody could connect");
  if (problems.length > 0) {
    for (const p of problems) process.stderr.write(`hato: ${p}\n`);
    return 1;
  }
  process.stdout.write(
    `configuration OK${config.file ? ` (${config.file})` : ""}: domain ${config.domain}, data ${config.data}, ` +
      `STARTTLS port ${config.c2sPort || "off"}, direct TLS port ${config.tlsPort || "off"}\n`,
  );
  return 0;
}
