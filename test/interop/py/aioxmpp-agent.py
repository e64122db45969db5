#!/usr/bin/python3
"""An aioxmpp client for Hato's interop tests, speaking slixmpp-agent.py's JSON-line protocol.

Commands: {"send": {"to": JID, "body": TEXT, "type": "chat", "id": ID}}, {"quit": true}, and
{"cmd": NAME, "tag": T, ...} answered by one {"event": "result", "tag": T, "ok": true|false, ...}:
roster-get, roster-add, subscribe, subscribed, unsubscribe, unsubscribed, presence, carbons,
block, unblock, blocklist, pep-publish and pep-fetch (OMEMO device lists, the payload aioxmpp
knows here), mam (a raw XEP-0313 query: Debian's aioxmpp has no MAM module).
Events: online, message, sent, presence, roster, carbon, disconnected, error.
"""

import argparse
import asyncio
import json
import logging
import sys
import uuid

import aioxmpp
import aioxmpp.blocking
import aioxmpp.carbons
import aioxmpp.connector
import aioxmpp.forms
import aioxmpp.misc
import aioxmpp.pubsub
import aioxmpp.rsm.xso
import aioxmpp.security_layer
import aioxmpp.xso as xso
import OpenSSL.SSL

NS_OMEMO = "eu.siacs.conversations.axolotl"
NS_MAM = "urn:xmpp:mam:2"


def emit(event, **fields):
    print(json.dumps({"event": event, **fields}), flush=True)


# --- XSOs for what Debian's aioxmpp does not model: OMEMO device lists, MAM queries -----------

class OmemoDevice(xso.XSO):
    TAG = (NS_OMEMO, "device")
    id_ = xso.Attr("id")


@aioxmpp.pubsub.xso.as_payload_class
class OmemoDeviceList(xso.XSO):
    TAG = (NS_OMEMO, "list")
    devices = xso.ChildList([OmemoDevice])


@aioxmpp.IQ.as_payload_class
class MamQuery(xso.XSO):
    TAG = (NS_MAM, "query")
    queryid = xso.Attr("queryid", default=None)
    form = xso.Child([aioxmpp.forms.Data])
    rsm = xso.Child([aioxmpp.rsm.xso.ResultSetMetadata])


@aioxmpp.IQ.as_payload_class
class MamFin(xso.XSO):
    TAG = (NS_MAM, "fin")
    complete = xso.Attr("complete", type_=xso.Bool(), default=False)
    rsm = xso.Child([aioxmpp.rsm.xso.ResultSetMetadata])


class MamResult(xso.XSO):
    TAG = (NS_MAM, "result")
    queryid = xso.Attr("queryid", default=None)
    id_ = xso.Attr("id")
    forwarded = xso.Child([aioxmpp.misc.Forwarded])


aioxmpp.Message.xep0313_result = xso.Child([MamResult])


def show_name(show):
    return "" if show == aioxmpp.PresenceShow.NONE else show.value


def presence_event(pres):
    kind = pres.type_.value if pres.type_ != aioxmpp.PresenceType.AVAILABLE else "available"
    status = pres.status.any() if pres.status else ""
    fields = {"from": str(pres.from_), "type": kind, "show": show_name(pres.show), "status": status or ""}
    if pres.type_ == aioxmpp.PresenceType.ERROR and pres.error is not None:
        fields["error"] = pres.error.condition.value[1]
    emit("presence", **fields)


class Agent:
    def __init__(self, args):
        self.args = args
        ca = args.ca

        def context():
            ctx = aioxmpp.security_layer.default_ssl_context()
            ctx.load_verify_locations(ca)
            if args.tls == "direct":
                ctx.set_alpn_protos([b"xmpp-client"])
            return ctx

        security = aioxmpp.make_security_layer(args.password, ssl_context_factory=context)
        connector = aioxmpp.connector.XMPPOverTLSConnector() if args.tls == "direct" else aioxmpp.connector.STARTTLSConnector()
        self.client = aioxmpp.PresenceManagedClient(
            aioxmpp.JID.fromstr(args.jid),
            security,
            override_peer=[(args.host, args.port, connector)],
            logger=logging.getLogger("agent"),
        )
        self.roster = self.client.summon(aioxmpp.RosterClient)
        self.carbons = self.client.summon(aioxmpp.CarbonsClient)
        self.blocking = self.client.summon(aioxmpp.BlockingClient)
        self.pubsub = self.client.summon(aioxmpp.PubSubClient)
        self.presence_server = self.client.summon(aioxmpp.PresenceServer)
        self.mam_results = {}
        stream = self.client.stream
        stream.on_message_received.connect(self.on_message)
        stream.on_presence_received.connect(presence_event)
        self.roster.on_entry_added.connect(self.on_roster)
        self.roster.on_entry_subscription_state_changed.connect(self.on_roster)
        self.client.on_stream_destroyed.connect(lambda reason=None: emit("disconnected", reason=str(reason)))
        # XEP-0198: aioxmpp reconnects by itself after a lost connection and resumes the stream.
        self.client.on_stream_suspended.connect(self.on_suspended)
        self.client.on_stream_resumed.connect(lambda: emit("sm", state="resumed"))
        self.client.on_failure.connect(lambda err: emit("error", message=f"{type(err).__name__}: {err}"))

    def on_suspended(self, reason=None):
        emit("disconnected", reason=str(reason))
        emit("sm", state="suspended")
        # (None: aioxmpp signals drop a handler that returns a true value)

    def on_roster(self, item):
        emit("roster", jid=str(item.jid), subscription=item.subscription, ask=item.ask, name=item.name)

    def on_message(self, msg):
        for direction in ("received", "sent"):
            wrapper = getattr(msg, f"xep0280_{direction}")
            if wrapper is not None and wrapper.stanza is not None:
                inner = wrapper.stanza
                body = inner.body.any() if inner.body else ""
                emit("carbon", direction=direction, **{"from": str(inner.from_)}, to=str(inner.to), body=body, xml="")
                return
        if msg.xep0313_result is not None:
            res = msg.xep0313_result
            bucket = self.mam_results.get(res.queryid)
            if bucket is not None and msg.from_ in (None, self.client.local_jid.bare()):
                inner = res.forwarded.stanza
                bucket.append({
                    "id": res.id_,
                    "from": str(inner.from_),
                    "to": str(inner.to),
                    "body": inner.body.any() if inner.body else "",
                    "stamp": res.forwarded.delay.stamp.isoformat() if res.forwarded.delay else None,
                })
            return
        bounce = msg.type_ == aioxmpp.MessageType.ERROR
        if not msg.body and not bounce:
            return
        emit(
            "message",
            **{"from": str(msg.from_)},
            to=str(msg.to),
            type=msg.type_.value,
            id=msg.id_,
            body=msg.body.any() if msg.body else "",
            delay=None,
            error=msg.error.condition.value[1] if bounce and msg.error is not None else None,
            xml="",
        )

    async def run_cmd(self, cmd):
        name = cmd["cmd"]
        jid = aioxmpp.JID.fromstr(cmd["jid"]) if "jid" in cmd else None
        if name == "roster-get":
            return {"items": [{"jid": str(i.jid), "subscription": i.subscription, "ask": i.ask} for i in self.roster.items.values()]}
        if name == "roster-add":
            await self.roster.set_entry(jid, name=cmd.get("name"), add_to_groups=set(cmd.get("groups", [])))
            return {}
        if name == "subscribe":
            self.roster.subscribe(jid)
            return {}
        if name == "subscribed":
            self.roster.approve(jid)
            return {}
        if name == "unsubscribe":
            self.roster.unsubscribe(jid)
            return {}
        if name == "unsubscribed":
            await self.client.send(aioxmpp.Presence(type_=aioxmpp.PresenceType.UNSUBSCRIBED, to=jid))
            return {}
        if name == "presence":
            if cmd.get("type") == "unavailable":
                # PresenceServer going unavailable would also end aioxmpp's stream: send it raw instead.
                await self.client.send(aioxmpp.Presence(type_=aioxmpp.PresenceType.UNAVAILABLE))
                return {}
            show = aioxmpp.PresenceShow(cmd["show"]) if cmd.get("show") else aioxmpp.PresenceShow.NONE
            status = cmd.get("status")
            self.presence_server.set_presence(aioxmpp.PresenceState(True, show), status or {})
            return {}
        if name == "carbons":
            await self.carbons.enable()
            return {}
        if name == "block":
            await self.blocking.block_jids([aioxmpp.JID.fromstr(j) for j in cmd["jids"]])
            return {}
        if name == "unblock":
            await self.blocking.unblock_jids([aioxmpp.JID.fromstr(j) for j in cmd["jids"]])
            return {}
        if name == "blocklist":
            return {"jids": sorted(str(j) for j in self.blocking.blocklist)}
        if name == "pep-publish":
            if cmd["node"] != f"{NS_OMEMO}.devicelist":
                raise ValueError("this agent publishes OMEMO device lists only")
            payload = OmemoDeviceList()
            for device in cmd["devices"]:
                d = OmemoDevice()
                d.id_ = str(device)
                payload.devices.append(d)
            options = None
            if cmd.get("options"):
                options = aioxmpp.forms.Data(aioxmpp.forms.DataType.SUBMIT)
                options.fields.append(aioxmpp.forms.Field(type_=aioxmpp.forms.FieldType.HIDDEN, var="FORM_TYPE", values=["http://jabber.org/protocol/pubsub#publish-options"]))
                for var, value in cmd["options"].items():
                    options.fields.append(aioxmpp.forms.Field(var=var, values=[value]))
            item_id = await self.pubsub.publish(None, cmd["node"], payload, id_=cmd.get("id"), publish_options=options)
            return {"id": item_id or cmd.get("id")}
        if name == "pep-fetch":
            reply = await self.pubsub.get_items(aioxmpp.JID.fromstr(cmd["jid"]), cmd["node"], max_items=cmd.get("max"))
            items = []
            for it in reply.payload.items:
                devices = None
                if isinstance(it.registered_payload, OmemoDeviceList):
                    devices = [d.id_ for d in it.registered_payload.devices]
                items.append({"id": it.id_, "devices": devices})
            return {"items": items}
        if name == "mam":
            return await self.mam(cmd)
        raise ValueError(f"unknown command {name}")

    async def mam(self, cmd):
        query = MamQuery()
        query.queryid = uuid.uuid4().hex
        if cmd.get("with"):
            form = aioxmpp.forms.Data(aioxmpp.forms.DataType.SUBMIT)
            form.fields.append(aioxmpp.forms.Field(type_=aioxmpp.forms.FieldType.HIDDEN, var="FORM_TYPE", values=[NS_MAM]))
            form.fields.append(aioxmpp.forms.Field(var="with", values=[cmd["with"]]))
            query.form = form
        rsm = aioxmpp.rsm.xso.ResultSetMetadata()
        rsm.max_ = cmd.get("max", 10)
        if cmd.get("after"):
            rsm.after = aioxmpp.rsm.xso.After()
            rsm.after.value = cmd["after"]
        if cmd.get("before") is not None:
            rsm.before = aioxmpp.rsm.xso.Before()  # an empty <before/>: the last page
            rsm.before.value = cmd["before"] or None
        query.rsm = rsm
        bucket = self.mam_results[query.queryid] = []
        try:
            fin = await self.client.send(aioxmpp.IQ(type_=aioxmpp.IQType.SET, payload=query))
        finally:
            del self.mam_results[query.queryid]
        first = fin.rsm.first.value if fin.rsm and fin.rsm.first else None
        last = fin.rsm.last.value if fin.rsm and fin.rsm.last else None
        count = fin.rsm.count if fin.rsm else None
        return {"messages": bucket, "complete": bool(fin.complete), "first": first, "last": last, "count": count}

    async def command_task(self, cmd):
        tag = cmd.get("tag")
        try:
            fields = await self.run_cmd(cmd)
            emit("result", tag=tag, cmd=cmd["cmd"], ok=True, **fields)
        except aioxmpp.errors.XMPPError as e:
            emit("result", tag=tag, cmd=cmd["cmd"], ok=False, condition=e.condition.value[1], text=e.text or "")
        except Exception as e:  # a bug in the agent or a bad command: report it, keep running
            emit("result", tag=tag, cmd=cmd["cmd"], ok=False, condition="agent-error", text=repr(e))

    async def send(self, s):
        msg = aioxmpp.Message(type_=aioxmpp.MessageType(s.get("type", "chat")), to=aioxmpp.JID.fromstr(s["to"]))
        msg.body[None] = s["body"]
        if s.get("id"):
            msg.id_ = s["id"]
        msg.autoset_id()
        await self.client.send(msg)
        emit("sent", id=msg.id_, to=s["to"])


async def main():
    if sys.argv[1:] == ["--version"]:
        print(json.dumps({"aioxmpp": aioxmpp.__version__, "python": sys.version.split()[0]}))
        return
    p = argparse.ArgumentParser()
    p.add_argument("--jid", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--tls", choices=["starttls", "direct"], default="starttls")
    p.add_argument("--ca", required=True)
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--debug", action="store_true")
    args, _ = p.parse_known_args()  # slixmpp-only options are ignored
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, stream=sys.stderr)

    agent = Agent(args)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    async def session():
        async with agent.client.connected():
            emit("online", jid=str(agent.client.local_jid), mechanism="", tls=None, alpn=None)
            stream = agent.client.stream
            if stream.sm_enabled:
                emit("sm", state="enabled", id=stream.sm_id, resume=stream.sm_resumable)
            pending = set()
            while line := await reader.readline():
                if not line.strip():
                    continue
                cmd = json.loads(line)
                if cmd.get("quit"):
                    break
                task = asyncio.ensure_future(agent.command_task(cmd) if "cmd" in cmd else agent.send(cmd["send"]))
                pending.add(task)
                task.add_done_callback(pending.discard)
            for task in pending:
                await task
        emit("disconnected", reason="quit")

    try:
        await asyncio.wait_for(session(), args.timeout)
    except asyncio.TimeoutError:
        emit("error", message=f"timed out after {args.timeout} s")
        sys.exit(3)
    except Exception as e:
        emit("error", message=f"{type(e).__name__}: {e}")
        sys.exit(1)


if __name__ == "__main__":
    asyncio.run(main())
