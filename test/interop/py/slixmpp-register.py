#!/usr/bin/python3
"""In-band registration (XEP-0077) with slixmpp's xep_0077 plugin: one attempt, one JSON line out.

Prints {"ok": true} when the account was created, {"error": CONDITION, "type": T, "text": TEXT}
when the server refused, as slixmpp parsed the error; "offered" says whether the server's
stream features listed registration (the script asks anyway, to show the server's answer).
"""

import argparse
import asyncio
import json
import logging
import sys

from hato_slixmpp import TestClient
from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.stanza import StreamFeatures


class Client(TestClient):
    def __init__(self, args):
        super().__init__(args, ("xep_0030", "xep_0004", "xep_0066", "xep_0077"))
        self["xep_0077"].force_registration = True
        # slixmpp 1.8.3 queues every stanza until a session starts ("NOT SENT"), its own
        # registration queries included, so in-band registration never leaves the client;
        # this is the switch its test harness uses to let them through.
        self._always_send_everything = True
        self.add_event_handler("register", self.on_register)
        self.offered = None
        # xep_0077's force_registration checks for an ssl.SSLSocket, which slixmpp's asyncio
        # transport never is, so it never forces anything; this filter does it instead, after
        # noting whether the server offered registration in its post-TLS features.
        self.add_filter("in", self.force_register_feature)

    def force_register_feature(self, stanza):
        if isinstance(stanza, StreamFeatures) and "starttls" in self.features:
            if self.offered is None:
                self.offered = "register" in stanza["features"]
                if not self.offered:
                    # Not offered: send the registration anyway, without slixmpp's form query
                    # first, and keep slixmpp from logging in meanwhile (no mechanisms left).
                    for child in list(stanza.xml):
                        if child.tag.endswith("}mechanisms"):
                            stanza.xml.remove(child)
                    asyncio.ensure_future(self.on_register(None))
        return stanza

    async def on_register(self, _form):
        iq = self.Iq()
        iq["type"] = "set"
        iq["register"]["username"] = self.boundjid.user
        iq["register"]["password"] = self.password
        try:
            await iq.send(timeout=20)
            self.result = {"ok": True, "offered": self.offered}
        except IqError as e:
            err = e.iq["error"]
            self.result = {
                "error": err["condition"],
                "type": err["type"],
                "text": err["text"],
                "offered": self.offered,
            }
        except IqTimeout:
            self.result = {"error": "timeout"}
        print(json.dumps(self.result), flush=True)
        self.disconnect()

    async def on_session_start(self, _):
        pass  # only reached when the account exists; the result was printed already


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--jid", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--debug", action="store_true")
    args = p.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, stream=sys.stderr)
    client = Client(args)
    client.connect((args.host, args.port), force_starttls=True)
    await asyncio.wait_for(client.disconnected, 60)


if __name__ == "__main__":
    asyncio.run(main())
