#!/usr/bin/python3
"""A slixmpp client for Hato's interop tests: JSON-line commands on stdin, JSON-line events on stdout.

Commands: {"send": {"to": JID, "body": TEXT, "type": "chat"}} and {"quit": true}.
Events: online (with the SASL mechanism and TLS details), sasl-failure, message (with any
XEP-0203 delay), sent, disconnected, error. The same protocol as test/support/xmppjs-agent.ts.
"""

import argparse
import asyncio
import hashlib
import json
import logging
import sys

import slixmpp
from slixmpp.util.sasl import mechanisms as sasl_mechanisms

NS_DELAY = "{urn:xmpp:delay}delay"


def emit(event, **fields):
    print(json.dumps({"event": event, **fields}), flush=True)


def use_tls_server_end_point():
    """Make slixmpp's SCRAM-*-PLUS bind with tls-server-end-point (RFC 5929) instead of tls-unique.

    slixmpp 1.8 only knows tls-unique, which RFC 9266 forbids on TLS 1.3; Hato offers
    tls-exporter and tls-server-end-point. The binding data itself is set in the credentials.
    """
    original = sasl_mechanisms.SCRAM.process_1

    def process_1(self, challenge):
        out = original(self, challenge)
        if self.use_channel_binding:
            self.gs2_header = self.gs2_header.replace(b"p=tls-unique", b"p=tls-server-end-point")
            self.client_first_message = self.gs2_header + self.client_first_message_bare
            return self.client_first_message
        return out

    sasl_mechanisms.SCRAM.process_1 = process_1


class Agent(slixmpp.ClientXMPP):
    def __init__(self, args):
        super().__init__(args.jid, args.password)
        self.args = args
        self.ca_certs = args.ca
        # Connect to the given address only: no SRV or AAAA lookups for "localhost".
        self.use_ipv6 = False
        self.register_plugin("feature_mechanisms")
        self.register_plugin("xep_0203")  # delayed delivery
        self.register_plugin("xep_0199")  # answers the server's pings
        mechs = self["feature_mechanisms"]
        if args.mechs:
            mechs.use_mechs = set(args.mechs.split(","))
        default_credentials = mechs._default_credentials

        def credentials(required, optional):
            creds = default_credentials(required, optional)
            if "channel_binding" in creds:
                if args.channel_binding == "none":
                    del creds["channel_binding"]
                elif args.channel_binding == "tls-server-end-point" and creds["channel_binding"]:
                    # RFC 5929 §4.1: the hash of the server certificate (SHA-256 for the
                    # ECDSA-SHA256 certificates that the tests make, and for MD5/SHA-1 ones).
                    der = self.socket.getpeercert(True)
                    creds["channel_binding"] = hashlib.sha256(der).digest()
            return creds

        mechs.sasl_callback = credentials
        if args.channel_binding == "tls-server-end-point":
            use_tls_server_end_point()
        if args.tls == "direct":
            self.ssl_context.set_alpn_protocols(["xmpp-client"])

        self.add_event_handler("session_start", self.on_session_start)
        self.add_event_handler("message", self.on_message)
        self.add_event_handler("failed_auth", self.on_failed_auth)
        self.add_event_handler("failed_all_auth", lambda _: emit("error", message="no SASL mechanism left"))
        self.add_event_handler("disconnected", lambda reason: emit("disconnected", reason=str(reason)))
        self.add_event_handler("connection_failed", lambda err: emit("error", message=f"connection failed: {err}"))
        self.add_event_handler("stream_error", lambda e: emit("stream-error", condition=e["condition"], text=e["text"]))

    async def get_dns_records(self, domain, port=None):
        return [(domain, self.args.host, self.args.port)]

    def on_failed_auth(self, failure):
        emit("sasl-failure", mechanism=self["feature_mechanisms"].mech.name, condition=failure["condition"], text=failure["text"])

    async def on_session_start(self, _):
        self.send_presence()
        ssl_object = self.socket
        emit(
            "online",
            jid=str(self.boundjid),
            mechanism=self["feature_mechanisms"].mech.name,
            tls=ssl_object.version() if ssl_object else None,
            alpn=ssl_object.selected_alpn_protocol() if ssl_object else None,
        )

    def on_message(self, msg):
        delay = msg.xml.find(NS_DELAY)
        emit(
            "message",
            **{"from": str(msg["from"])},
            to=str(msg["to"]),
            type=msg["type"],
            body=msg["body"],
            delay=None if delay is None else {"stamp": delay.get("stamp"), "from": delay.get("from")},
            xml=str(msg),
        )

    def command(self, line):
        cmd = json.loads(line)
        if "send" in cmd:
            s = cmd["send"]
            msg = self.make_message(mto=s["to"], mbody=s["body"], mtype=s.get("type", "chat"))
            msg["id"] = s.get("id") or msg["id"]
            msg.send()
            emit("sent", id=msg["id"], to=s["to"])
        elif cmd.get("quit"):
            self.disconnect()


async def main():
    if sys.argv[1:] == ["--version"]:
        print(json.dumps({"slixmpp": slixmpp.__version__, "python": sys.version.split()[0]}))
        return
    p = argparse.ArgumentParser()
    p.add_argument("--jid", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--tls", choices=["starttls", "direct"], default="starttls")
    p.add_argument("--ca", required=True)
    p.add_argument("--mechs", default="", help="comma-separated SASL mechanisms to allow")
    p.add_argument("--channel-binding", choices=["stock", "tls-server-end-point", "none"], default="stock")
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--debug", action="store_true")
    args = p.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, stream=sys.stderr)

    agent = Agent(args)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    agent.connect((args.host, args.port), use_ssl=args.tls == "direct", force_starttls=args.tls == "starttls")

    async def commands():
        while line := await reader.readline():
            if line.strip():
                agent.command(line)
        agent.disconnect()

    task = asyncio.ensure_future(commands())
    try:
        await asyncio.wait_for(agent.disconnected, args.timeout)
    except asyncio.TimeoutError:
        emit("error", message=f"timed out after {args.timeout} s")
        sys.exit(3)
    finally:
        task.cancel()


if __name__ == "__main__":
    asyncio.run(main())
