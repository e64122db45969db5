#!/usr/bin/python3
"""PEP with slixmpp's XEP-0060 plugin, as OMEMO clients use it: one action, one JSON line out.

publish: the OMEMO device list and a bundle with publish-options access_model=open, and a
mood with the default (presence) access. fetch: reads those nodes of --owner.
"""

import argparse
import asyncio
import json
import logging
import sys
import xml.etree.ElementTree as ET

import slixmpp
from hato_slixmpp import TestClient
from slixmpp.exceptions import IqError

DEVICELIST = "eu.siacs.conversations.axolotl.devicelist"
BUNDLE = "eu.siacs.conversations.axolotl.bundles:7"
MOOD = "http://jabber.org/protocol/mood"
AXOLOTL = "eu.siacs.conversations.axolotl"


class Client(TestClient):
    def __init__(self, args):
        super().__init__(args, ("xep_0004", "xep_0060"))

    def open_options(self):
        form = self["xep_0004"].make_form(ftype="submit")
        form.add_field(var="FORM_TYPE", ftype="hidden", value="http://jabber.org/protocol/pubsub#publish-options")
        form.add_field(var="pubsub#access_model", value="open")
        return form

    async def publish(self):
        pubsub = self["xep_0060"]
        own = self.boundjid.bare
        devices = ET.fromstring(f"<list xmlns='{AXOLOTL}'><device id='7'/><device id='8'/></list>")
        await pubsub.publish(own, DEVICELIST, id="current", payload=devices, options=self.open_options())
        bundle = ET.fromstring(f"<bundle xmlns='{AXOLOTL}'><identityKey>AAAA</identityKey></bundle>")
        await pubsub.publish(own, BUNDLE, id="current", payload=bundle, options=self.open_options())
        mood = ET.fromstring(f"<mood xmlns='{MOOD}'><happy/></mood>")
        await pubsub.publish(own, MOOD, payload=mood)
        self.result = {"published": [DEVICELIST, BUNDLE, MOOD]}

    async def fetch(self):
        pubsub = self["xep_0060"]
        out = {}
        for node in (DEVICELIST, BUNDLE, MOOD):
            try:
                iq = await pubsub.get_items(self.args.owner, node)
                items = iq["pubsub"]["items"]
                out[node] = [ET.tostring(item.xml, encoding="unicode") for item in items]
            except IqError as e:
                out[node] = {"error": e.iq["error"]["condition"]}
        self.result = {"fetched": out}

    async def on_session_start(self, _):
        try:
            await (self.publish() if self.args.action == "publish" else self.fetch())
        except IqError as e:
            self.result = {"error": e.iq["error"]["condition"], "text": e.iq["error"]["text"]}
        print(json.dumps(self.result), flush=True)
        self.disconnect()


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--jid", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--action", choices=["publish", "fetch"], required=True)
    p.add_argument("--owner", default="")
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    client = Client(args)
    client.connect((args.host, args.port), force_starttls=True)
    await asyncio.wait_for(client.disconnected, 30)


if __name__ == "__main__":
    asyncio.run(main())
