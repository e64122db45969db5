#!/usr/bin/python3
"""Direct file transfer offers made by slixmpp's own plugins: IBB (XEP-0047, in IQs and in
messages), jabber:iq:oob (XEP-0066), SI file transfer (XEP-0096) and SOCKS5 bytestreams
(XEP-0065). Prints one JSON line per offer: the error the server answered, or "delivered".
"""

import argparse
import asyncio
import json
import logging
import sys

import slixmpp
from hato_slixmpp import TestClient
from slixmpp.exceptions import IqError, IqTimeout


SI_OFFER = (
    "<si xmlns='http://jabber.org/protocol/si' id='si1' mime-type='application/pdf'"
    " profile='http://jabber.org/protocol/si/profile/file-transfer'>"
    "<file xmlns='http://jabber.org/protocol/si/profile/file-transfer' name='report.pdf' size='1024'/>"
    "<feature xmlns='http://jabber.org/protocol/feature-neg'><x xmlns='jabber:x:data' type='form'>"
    "<field var='stream-method' type='list-single'>"
    "<option><value>http://jabber.org/protocol/bytestreams</value></option>"
    "<option><value>http://jabber.org/protocol/ibb</value></option>"
    "</field></x></feature></si>"
)


NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"


def describe(error):
    """The error's condition read from the XML: slixmpp 1.8.3's list of conditions predates
    RFC 6120 and lacks policy-violation, so error["condition"] would be empty."""
    conditions = [c.tag.split("}")[1] for c in error.xml if c.tag.startswith("{" + NS_STANZAS + "}") and not c.tag.endswith("}text")]
    return {"condition": conditions[0] if conditions else "", "type": error["type"], "text": error["text"]}


class Client(TestClient):
    def __init__(self, args):
        super().__init__(args, ("xep_0030", "xep_0047", "xep_0065", "xep_0066", "xep_0096"))

    async def offer(self, proto, send):
        try:
            await asyncio.wait_for(send(), 15)
            result = {"proto": proto, "outcome": "delivered"}
        except IqError as e:
            result = {"proto": proto, "outcome": "error", **describe(e.iq["error"])}
        except (IqTimeout, asyncio.TimeoutError):
            result = {"proto": proto, "outcome": "timeout"}
        except Exception as e:  # a plugin's own bug: reported, the other offers still run
            result = {"proto": proto, "outcome": "exception", "text": repr(e)}
        print(json.dumps(result), flush=True)

    def raw_iq(self, to, payload):
        iq = self.make_iq_set(ito=to)
        iq.append(slixmpp.xmlstream.ET.fromstring(payload))
        return iq.send()

    async def on_session_start(self, _):
        to = slixmpp.JID(self.args.to)
        await self.offer("ibb", lambda: self["xep_0047"].open_stream(to))
        await self.offer("iq-oob", lambda: self["xep_0066"].send_oob(to, "http://192.0.2.1:8080/report.pdf", "a report"))
        # slixmpp 1.8.3's xep_0095 offer() fails to build its form, so the same offer, raw.
        await self.offer("si-file-transfer", lambda: self.raw_iq(to, SI_OFFER))
        await self.offer("socks5", lambda: self["xep_0065"].handshake(to))
        # IBB data inside a message (XEP-0047 §3): a message error comes back.
        errors = asyncio.Queue()
        self.add_event_handler("message_error", lambda m: errors.put_nowait(m))
        msg = self.make_message(to)
        msg.append(slixmpp.xmlstream.ET.fromstring("<data xmlns='http://jabber.org/protocol/ibb' seq='0' sid='m1'>aGVsbG8=</data>"))
        msg.send()
        try:
            m = await asyncio.wait_for(errors.get(), 15)
            print(json.dumps({"proto": "ibb-message", "outcome": "error", **describe(m["error"])}), flush=True)
        except asyncio.TimeoutError:
            print(json.dumps({"proto": "ibb-message", "outcome": "timeout"}), flush=True)
        self.disconnect()


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--jid", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--to", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    args = p.parse_args()
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    client = Client(args)
    client.connect((args.host, args.port), force_starttls=True)
    await asyncio.wait_for(client.disconnected, 120)


if __name__ == "__main__":
    asyncio.run(main())
