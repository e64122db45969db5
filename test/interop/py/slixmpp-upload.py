#!/usr/bin/python3
"""HTTP File Upload (XEP-0363) with slixmpp's xep_0363 plugin: one file up, one JSON line out.

The plugin finds the service by disco (identity store/file and the max-file-size form), asks
for a slot and PUTs the file with aiohttp, which trusts the CA in SSL_CERT_FILE.
Prints {"url": GET_URL} on success, {"error": KIND, "status": N, "body": TEXT} on refusal.
"""

import argparse
import asyncio
import json
import logging
import sys

import slixmpp
from hato_slixmpp import TestClient
from slixmpp.exceptions import IqError
from slixmpp.plugins.xep_0363.http_upload import FileTooBig, HTTPError, UploadServiceNotFound


def fix_get_info_from_domain(disco):
    """slixmpp 1.8.3's get_info_from_domain hands coroutines to asyncio.wait, which Python 3.11
    refuses; the same queries (the domain's disco#info, then each item's), awaited in turn."""

    async def get_info_from_domain(domain=None, timeout=None, cached=True, callback=None):
        domain = domain or disco.xmpp.boundjid.domain
        infos = [await disco.get_info(domain, timeout=timeout)]
        items = (await disco.get_items(domain, timeout=timeout))["disco_items"]["items"]
        for item in items:
            infos.append(await disco.get_info(item[0], timeout=timeout))
        if callback is not None:
            callback(infos)
        return infos

    disco.get_info_from_domain = get_info_from_domain


class Client(TestClient):
    def __init__(self, args):
        super().__init__(args, ("xep_0030", "xep_0128", "xep_0363"))
        fix_get_info_from_domain(self["xep_0030"])

    async def on_session_start(self, _):
        upload = self["xep_0363"]
        try:
            url = await upload.upload_file(self.args.file, content_type=self.args.type or None, timeout=30)
            self.result = {"url": url, "max": upload.max_file_size}
        except HTTPError as e:
            self.result = {"error": "http", "status": e.args[0], "body": e.args[1]}
        except FileTooBig as e:
            self.result = {"error": "too-big", "size": e.args[0], "max": e.args[1]}
        except UploadServiceNotFound:
            self.result = {"error": "no-service"}
        except IqError as e:
            self.result = {"error": "iq", "condition": e.iq["error"]["condition"], "text": e.iq["error"]["text"]}
        print(json.dumps(self.result), flush=True)
        self.disconnect()


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--jid", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--file", required=True)
    p.add_argument("--type", default="")
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    client = Client(args)
    client.connect((args.host, args.port), force_starttls=True)
    await asyncio.wait_for(client.disconnected, 60)


if __name__ == "__main__":
    asyncio.run(main())
