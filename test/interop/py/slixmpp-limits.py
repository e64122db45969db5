#!/usr/bin/python3
"""slixmpp against the policy's limits: one action, one JSON line out at the end.

login: logs in and out; reports {"online": true} or the SASL failure's condition and text.
identity: loads XEP-0092 (answering with --software, unless it is empty) and XEP-0115 (with
  --caps-node), sends presence and a message to --to, waits for the server's verdict a moment;
  reports online, any stream error, and whether the message's echo (--to may be itself) came.
flood: sends --count pings to the server at once and reports how many were answered and the
  errors (condition, type and text) of those refused.
"""

import argparse
import asyncio
import json
import logging
import sys

import slixmpp
from hato_slixmpp import TestClient
from slixmpp.exceptions import IqError, IqTimeout

NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"


class Client(TestClient):
    def __init__(self, args):
        plugins = ("xep_0030", "xep_0199")
        super().__init__(args, plugins)
        if args.action == "identity":
            if args.software:
                self.register_plugin("xep_0092", {"software_name": args.software, "version": "1.8-test"})
            self.register_plugin("xep_0115", {"caps_node": args.caps_node})
        self.result = {"online": False}
        self.add_event_handler("failed_auth", self.on_failed_auth)
        self.add_event_handler("failed_all_auth", lambda _: self.disconnect())
        self.add_event_handler("stream_error", self.on_stream_error)
        self.add_event_handler("message", self.on_message)

    def on_failed_auth(self, failure):
        self.result["sasl"] = {"condition": failure["condition"], "text": failure["text"]}

    def on_stream_error(self, e):
        self.result["stream_error"] = {"condition": e["condition"], "text": e["text"]}

    def on_message(self, msg):
        if msg["body"] == "hello from slixmpp":
            self.result["echo"] = True

    async def on_session_start(self, _):
        self.result["online"] = True
        action = self.args.action
        if action == "identity":
            # slixmpp puts its caps in presence once the verification string is computed.
            await self["xep_0115"].update_caps(broadcast=False)
            self.send_presence()
            self.send_message(mto=self.args.to, mbody="hello from slixmpp", mtype="chat")
            # The server decides once it knows the client: wait for the echo or the stream error.
            for _ in range(100):
                if "echo" in self.result or "stream_error" in self.result:
                    break
                await asyncio.sleep(0.1)
        elif action == "flood":
            async def one(i):
                try:
                    await self["xep_0199"].send_ping(self.boundjid.domain, timeout=30)
                    return None
                except IqError as e:
                    err = e.iq["error"]
                    # slixmpp 1.8 does not know RFC 6120's policy-violation: read the element.
                    names = [c.tag.split("}", 1)[-1] for c in err.xml if c.tag.startswith(f"{{{NS_STANZAS}}}")]
                    condition = next((n for n in names if n != "text"), "")
                    return {"condition": condition, "type": err["type"], "text": err["text"]}
                except IqTimeout:
                    return {"condition": "timeout"}
            outcomes = await asyncio.gather(*(one(i) for i in range(self.args.count)))
            self.result["answered"] = sum(1 for o in outcomes if o is None)
            self.result["refused"] = [o for o in outcomes if o is not None]
        self.disconnect()


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--jid", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--action", choices=["login", "identity", "flood"], required=True)
    p.add_argument("--software", default="")
    p.add_argument("--caps-node", default="http://slixmpp.com/ver/test")
    p.add_argument("--to", default="")
    p.add_argument("--count", type=int, default=10)
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    client = Client(args)
    client.connect((args.host, args.port), force_starttls=True)
    try:
        await asyncio.wait_for(client.disconnected, 40)
    except asyncio.TimeoutError:
        client.result["timeout"] = True
    print(json.dumps(client.result), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
