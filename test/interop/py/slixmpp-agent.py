#!/usr/bin/python3
"""A slixmpp client for Hato's interop tests: JSON-line commands on stdin, JSON-line events on stdout.

Commands: {"send": {"to": JID, "body": TEXT, "type": "chat"}} and {"quit": true}, plus the
instant-messaging commands {"cmd": NAME, "tag": T, ...} answered by one {"event": "result",
"tag": T, "ok": true|false, ...} (see Agent.run_cmd; the same set as aioxmpp-agent.py).
Events: online (with the SASL mechanism and TLS details), sasl-failure, message (with any
XEP-0203 delay), sent, presence, roster, carbon, sm (enabled/resumed/failed), disconnected,
error. The same protocol as test/support/xmppjs-agent.ts for what both speak.
"""

import argparse
import asyncio
import hashlib
import json
import logging
import sys
import xml.etree.ElementTree as ET

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.xmlstream import tostring
from slixmpp.util.sasl import mechanisms as sasl_mechanisms

NS_DELAY = "{urn:xmpp:delay}delay"
NS_CARBONS = "urn:xmpp:carbons:2"
NS_MAM = "urn:xmpp:mam:2"


NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"


def wire_condition(stanza):
    """The defined condition element of a stanza error as it came over the wire.

    slixmpp 1.8.3's parsed condition ("error"/"condition") is empty for conditions it does not
    list, policy-violation (RFC 6120 §8.3.3.12) among them; this reads the element itself.
    """
    err = stanza.xml.find("{jabber:client}error")
    if err is None:
        return None
    for child in err:
        if child.tag.startswith("{" + NS_STANZAS + "}") and not child.tag.endswith("}text"):
            return child.tag.split("}", 1)[1]
    return None


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
        for plugin in ("xep_0030", "xep_0059", "xep_0280", "xep_0297", "xep_0313", "xep_0191", "xep_0060", "xep_0163"):
            self.register_plugin(plugin)
        if args.answer_version:
            self.register_plugin("xep_0092", {"name": args.answer_version, "version": "1.0"})
        if args.report_iq_errors:
            # Every <iq type='error'/> the client receives, as slixmpp parsed it (including the
            # bind refusal, which slixmpp's bind feature does not report as an event).
            self.add_filter("in", self.report_iq_error)
        if args.all_messages:
            # slixmpp raises "message" only for messages with a body; chat states come here.
            self.add_filter("in", self.report_bodiless)
        if args.sm:
            self.register_plugin("xep_0198")  # stream management with resumption
            self["xep_0198"].window = 1  # ask for an ack after every stanza: nothing waits in doubt
        # Subscription requests are answered by the test (the "approve" command), not by slixmpp.
        self.roster.auto_authorize = None  # (False would refuse every request)
        self.roster.auto_subscribe = False
        self.quitting = False
        self.finished = asyncio.get_event_loop().create_future()
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
        # Bounces: slixmpp raises "message" only for messages with a <body/>, "message_error" for all.
        self.add_event_handler("message_error", lambda msg: self.on_message(msg, bounce=True))
        self.add_event_handler("failed_auth", self.on_failed_auth)
        self.add_event_handler("failed_all_auth", lambda _: emit("error", message="no SASL mechanism left"))
        self.add_event_handler("disconnected", self.on_disconnected)
        self.add_event_handler("presence", self.on_presence)
        self.add_event_handler("roster_update", self.on_roster_update)
        self.add_event_handler("carbon_received", lambda m: self.on_carbon("received", m))
        self.add_event_handler("carbon_sent", lambda m: self.on_carbon("sent", m))
        self.add_event_handler("sm_enabled", lambda st: emit("sm", state="enabled", id=st["id"], resume=st["resume"]))
        self.add_event_handler("session_resumed", lambda _: emit("sm", state="resumed"))
        self.add_event_handler("sm_failed", lambda _: emit("sm", state="failed"))
        self.add_event_handler("connection_failed", lambda err: emit("error", message=f"connection failed: {err}"))
        self.add_event_handler("stream_error", lambda e: emit("stream-error", condition=e["condition"], text=e["text"]))

    async def get_dns_records(self, domain, port=None):
        return [(domain, self.args.host, self.args.port)]

    def report_iq_error(self, stanza):
        if stanza.name == "iq" and stanza["type"] == "error":
            emit("iq-error", id=stanza["id"], condition=stanza["error"]["condition"], wire_condition=wire_condition(stanza), type=stanza["error"]["type"], text=stanza["error"]["text"], xml=str(stanza))
        return stanza

    def report_bodiless(self, stanza):
        if stanza.name == "message" and stanza["type"] != "error" and not stanza["body"]:
            emit("bodiless", **{"from": str(stanza["from"])}, id=stanza["id"], xml=str(stanza))
        return stanza

    def on_failed_auth(self, failure):
        emit("sasl-failure", mechanism=self["feature_mechanisms"].mech.name, condition=failure["condition"], text=failure["text"])

    def on_disconnected(self, reason):
        emit("disconnected", reason=str(reason))
        if self.args.sm and not self.quitting:
            # A lost connection (the test cut it): reconnect and let XEP-0198 resume the session.
            self.connect((self.args.host, self.args.port), use_ssl=self.args.tls == "direct", force_starttls=self.args.tls == "starttls")
        elif not self.finished.done():
            self.finished.set_result(None)

    async def on_session_start(self, _):
        if self.args.roster:
            # An interested resource (RFC 6121 §2.1.6): it gets roster pushes from now on.
            try:
                await self.get_roster()
            except IqError as e:
                emit("warning", message=f"roster get refused: {e.iq['error']['condition']}")
        if not self.args.no_presence:
            self.send_presence()
        ssl_object = self.socket
        emit(
            "online",
            jid=str(self.boundjid),
            mechanism=self["feature_mechanisms"].mech.name,
            tls=ssl_object.version() if ssl_object else None,
            alpn=ssl_object.selected_alpn_protocol() if ssl_object else None,
        )

    def on_message(self, msg, bounce=False):
        if msg["type"] == "error" and not bounce:
            return  # reported once, through message_error
        if msg.xml.find(f"{{{NS_CARBONS}}}received") is not None or msg.xml.find(f"{{{NS_CARBONS}}}sent") is not None:
            return  # reported as a carbon event
        if msg.xml.find(f"{{{NS_MAM}}}result") is not None or not (msg["body"] or msg["type"] == "error"):
            return  # MAM results are reported by the mam command; chat states and the like are not messages
        delay = msg.xml.find(NS_DELAY)
        emit(
            "message",
            **{"from": str(msg["from"])},
            to=str(msg["to"]),
            type=msg["type"],
            id=msg["id"],
            body=msg["body"],
            delay=None if delay is None else {"stamp": delay.get("stamp"), "from": delay.get("from")},
            error=msg["error"]["condition"] if msg["type"] == "error" else None,
            error_type=msg["error"]["type"] if msg["type"] == "error" else None,
            wire_condition=wire_condition(msg) if msg["type"] == "error" else None,
            error_text=msg["error"]["text"] if msg["type"] == "error" else None,
            xml=str(msg),
        )

    def on_presence(self, pres):
        if pres["type"] == "error":
            emit("presence", **{"from": str(pres["from"])}, type="error", show="", status="", error=pres["error"]["condition"])
            return
        emit("presence", **{"from": str(pres["from"])}, type=pres["type"] if pres["type"] in ("unavailable", "subscribe", "subscribed", "unsubscribe", "unsubscribed", "probe") else "available", show=pres["show"] if pres["type"] not in ("unavailable",) else "", status=pres["status"])

    def on_roster_update(self, iq):
        for jid, item in iq["roster"]["items"].items():
            emit("roster", jid=str(jid), subscription=item["subscription"], ask=item["ask"] or None, name=item["name"] or None)

    def on_carbon(self, direction, msg):
        inner = msg[f"carbon_{direction}"]
        emit("carbon", direction=direction, **{"from": str(inner["from"])}, to=str(inner["to"]), body=inner["body"], xml=str(msg))

    async def run_cmd(self, cmd):
        """One instant-messaging command; returns the fields of its result event."""
        name = cmd["cmd"]
        if name == "roster-get":
            await self.get_roster()
            return {"items": [{"jid": j, "subscription": self.client_roster[j]["subscription"], "ask": self.client_roster[j]["pending_out"] and "subscribe" or None} for j in self.client_roster]}
        if name == "roster-add":
            iq = await self.update_roster(cmd["jid"], name=cmd.get("name"), groups=cmd.get("groups", []))
            return {}
        if name in ("subscribe", "subscribed", "unsubscribe", "unsubscribed"):
            # Presence of these types is sent raw: slixmpp's roster would otherwise add its own bookkeeping.
            self.send_presence(pto=cmd["jid"], ptype=name)
            return {}
        if name == "presence":
            ptype = cmd.get("type")
            if ptype == "unavailable":
                self.send_presence(ptype="unavailable", pstatus=cmd.get("status"))
            else:
                self.send_presence(pshow=cmd.get("show"), pstatus=cmd.get("status"), pto=cmd.get("to"))
            return {}
        if name == "carbons":
            await self["xep_0280"].enable()
            return {}
        if name == "mam":
            rsm = {"max": cmd.get("max", 10)}
            if cmd.get("after"):
                rsm["after"] = cmd["after"]
            if cmd.get("before"):
                rsm["before"] = cmd["before"]  # (slixmpp cannot send an empty <before/> here)
            iq = await self["xep_0313"].retrieve(with_jid=cmd.get("with"), rsm=rsm)
            messages = []
            for res in iq["mam"]["results"]:
                fwd = res["mam_result"]["forwarded"]
                inner = fwd["stanza"]
                messages.append({"id": res["mam_result"]["id"], "from": str(inner["from"]), "to": str(inner["to"]), "body": inner["body"], "stamp": str(fwd["delay"]["stamp"])})
            fin = iq["mam_fin"]
            return {"messages": messages, "complete": fin.xml.get("complete") in ("true", "1"), "first": fin["rsm"]["first"], "last": fin["rsm"]["last"], "count": fin["rsm"]["count"]}
        if name == "block":
            await self["xep_0191"].block(cmd["jids"])
            return {}
        if name == "unblock":
            await self["xep_0191"].unblock(cmd.get("jids") or None)
            return {}
        if name == "blocklist":
            iq = await self["xep_0191"].get_blocked()
            return {"jids": sorted(str(j) for j in iq["blocklist"]["items"])}
        if name == "pep-publish":
            payload = ET.fromstring(cmd["payload"])
            options = None
            if cmd.get("options"):
                options = self["xep_0004"].make_form(ftype="submit")
                options.add_field(var="FORM_TYPE", ftype="hidden", value="http://jabber.org/protocol/pubsub#publish-options")
                for k, v in cmd["options"].items():
                    options.add_field(var=k, value=v)
            iq = await self["xep_0060"].publish(None, cmd["node"], id=cmd.get("id"), payload=payload, options=options)
            return {"id": iq["pubsub"]["publish"]["item"]["id"] or cmd.get("id")}
        if name == "pep-fetch":
            iq = await self["xep_0060"].get_items(cmd["jid"], cmd["node"], max_items=cmd.get("max"))
            items = [{"id": it["id"], "payload": tostring(it.xml[0]) if len(it.xml) else None} for it in iq["pubsub"]["items"]]
            return {"items": items}
        if name == "drop":
            # The client notices a dead network (what its keepalive would find out later):
            # abort the TCP connection; with --sm the agent reconnects and resumes.
            self.transport.abort()
            return {}
        if name == "sm-state":
            sm = self["xep_0198"]
            return {"id": sm.sm_id, "handled": sm.handled, "unacked": len(sm.unacked_queue)}
        if name == "raw-message":
            # Any message, as XML text in jabber:client (an OMEMO-shaped payload, a chat state).
            self.send_raw(cmd["xml"])
            return {}
        if name == "raw-iq":
            iq = self.make_iq(itype=cmd["type"], ito=cmd.get("to"))
            iq.append(ET.fromstring(cmd["payload"]))
            reply = await iq.send()
            return {"xml": str(reply)}
        raise ValueError(f"unknown command {name}")

    async def command_task(self, cmd):
        tag = cmd.get("tag")
        try:
            fields = await self.run_cmd(cmd)
            emit("result", tag=tag, cmd=cmd["cmd"], ok=True, **fields)
        except IqError as e:
            err = e.iq["error"]
            emit("result", tag=tag, cmd=cmd["cmd"], ok=False, condition=err["condition"], text=err["text"], xml=str(e.iq))
        except IqTimeout:
            emit("result", tag=tag, cmd=cmd["cmd"], ok=False, condition="timeout", text="no answer")
        except Exception as e:  # a bug in the agent or a bad command: report it, keep running
            emit("result", tag=tag, cmd=cmd["cmd"], ok=False, condition="agent-error", text=repr(e))

    def command(self, line):
        cmd = json.loads(line)
        if "cmd" in cmd:
            asyncio.ensure_future(self.command_task(cmd))
        elif "send" in cmd:
            s = cmd["send"]
            msg = self.make_message(mto=s["to"], mbody=s["body"], mtype=s.get("type", "chat"))
            msg["id"] = s.get("id") or msg["id"]
            msg.send()
            emit("sent", id=msg["id"], to=s["to"])
        elif cmd.get("quit"):
            asyncio.ensure_future(self.quit())

    async def quit(self):
        """Closes the stream once everything sent before has reached the server.

        slixmpp's disconnect() may write the closing tag while a stanza taken off its send
        queue is still passing the output filters, so the stanza would follow the closing tag
        and be ignored; a ping answered by the server proves that all before it went out.
        """
        self.quitting = True
        if self.transport:
            try:
                await self["xep_0199"].ping(timeout=10)
            except Exception:
                pass  # no answer: close anyway
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
    p.add_argument("--roster", action="store_true", help="request the roster at session start (as IM clients do)")
    p.add_argument("--sm", action="store_true", help="XEP-0198: enable, and resume after a lost connection")
    p.add_argument("--no-presence", action="store_true", help="no initial presence at session start")
    p.add_argument("--answer-version", default="", help="answer XEP-0092 version queries with this name")
    p.add_argument("--report-iq-errors", action="store_true", help="an iq-error event for every IQ error received")
    p.add_argument("--all-messages", action="store_true", help="a bodiless event for messages without a body")
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
        await agent.quit()

    task = asyncio.ensure_future(commands())
    try:
        await asyncio.wait_for(agent.finished, args.timeout)
    except asyncio.TimeoutError:
        emit("error", message=f"timed out after {args.timeout} s")
        sys.exit(3)
    finally:
        task.cancel()


if __name__ == "__main__":
    asyncio.run(main())
