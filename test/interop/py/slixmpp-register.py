#!/usr/bin/python3
"""In-band registration (XEP-0077) with slixmpp's xep_0077 plugin, after a XEP-0445 pre-auth
IQ with an invite token (sent raw: slixmpp has no plugin for it), then a login as the new
account. One JSON line per step: {"preauth": ...}, {"register": ...}, then {"session": JID}
when the login worked. A refusal is {"condition": C, "text": T}; success is "ok".
"""

import argparse
import asyncio
import json
import logging
import sys

from hato_slixmpp import TestClient
from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.xmlstream import ET

NS_PARS = "urn:xmpp:pars:0"
NS_IBR_TOKEN = "urn:xmpp:ibr-token:0"


def refusal(e):
    return {"condition": e.iq["error"]["condition"], "text": e.iq["error"]["text"]}


class Client(TestClient):
    def __init__(self, args):
        super().__init__(args, ("xep_0030", "xep_0004", "xep_0066", "xep_0077"))
        self["xep_0077"].force_registration = False
        # slixmpp 1.8.3 holds back every stanza but bind/session until a session starts, so
        # its own xep_0077 form request would never leave: let registration's IQs through.
        self._always_send_everything = True
        self.registered = False
        self.offers_token = False
        self.add_event_handler("register", self.on_register)
        self.add_filter("in", self.watch_features)

    def watch_features(self, stanza):
        # XEP-0445 §3: a client sends a token only to a server offering the feature.
        if stanza.name == "features" and stanza.xml.find("{%s}register" % NS_IBR_TOKEN) is not None:
            self.offers_token = True
        return stanza

    def say(self, obj):
        print(json.dumps(obj), flush=True)

    async def on_register(self, _form):
        try:
            if self.args.token:
                if not self.offers_token:
                    self.say({"preauth": {"condition": "feature-missing", "text": ""}})
                else:
                    iq = self.make_iq_set(ito=self.boundjid.domain)
                    iq.append(ET.fromstring(f"<preauth xmlns='{NS_PARS}' token='{self.args.token}'/>"))
                    try:
                        await iq.send(timeout=20)
                        self.say({"preauth": "ok"})
                    except IqError as e:
                        self.say({"preauth": refusal(e)})
            reg = self.Iq()
            reg["type"] = "set"
            reg["register"]["username"] = self.boundjid.user
            reg["register"]["password"] = self.password
            await reg.send(timeout=20)
            self.registered = True
            self.say({"register": "ok"})
        except IqError as e:
            self.say({"register": refusal(e)})
            self.disconnect()
        except IqTimeout:
            self.say({"register": {"condition": "timeout", "text": ""}})
            self.disconnect()

    async def on_session_start(self, _):
        self.say({"session": str(self.boundjid)})
        self.disconnect()


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--jid", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--token", default="")
    args = p.parse_args()
    logging.basicConfig(level=logging.DEBUG if "HATO_PY_DEBUG" in __import__("os").environ else logging.WARNING, stream=sys.stderr)
    client = Client(args)
    client.add_event_handler("failed_auth", lambda _: client.disconnect())
    client.connect((args.host, args.port), force_starttls=True)
    await asyncio.wait_for(client.disconnected, 60)


if __name__ == "__main__":
    asyncio.run(main())
