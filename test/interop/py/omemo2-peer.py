#!/usr/bin/python3
"""An OMEMO 2 (urn:xmpp:omemo:2) peer for the interop test: slixmpp for XMPP and Syndace's
python-omemo SessionManager with the twomemo backend (Debian's python3-omemo and
python3-twomemo), keys in memory, blind trust.

JSON lines on stdout: {"event": "ready", "device": id}, {"event": "message", "from", "device",
"body"} (a decrypted chat message), {"event": "empty", ...} (a message without payload),
{"event": "failed", "error"}, {"event": "sent", "to"}. Commands on stdin, one JSON per line:
{"send": "bob@localhost", "body": "…"}.

twomemo's own XML helpers need xmlschema, which Debian does not package with it, so the
(de)serialization below follows twomemo/etree.py without schema validation; the XEP-0420
envelope is built and checked here, since python-omemo leaves it to the client.
"""

import argparse
import asyncio
import base64
import json
import logging
import secrets
import sys
import xml.etree.ElementTree as ET

import omemo
import slixmpp
import twomemo
import x3dh
from hato_slixmpp import TestClient
from omemo.storage import Just, Nothing, Storage
from omemo.types import DeviceInformation, TrustLevel
from slixmpp.exceptions import IqError
from twomemo.twomemo import (
    BundleImpl,
    ContentImpl,
    EncryptedKeyMaterialImpl,
    KeyExchangeImpl,
)

NS = "urn:xmpp:omemo:2"
DEVICES = "urn:xmpp:omemo:2:devices"
BUNDLES = "urn:xmpp:omemo:2:bundles"
SCE = "urn:xmpp:sce:1"
Q = f"{{{NS}}}"


def out(obj):
    print(json.dumps(obj), flush=True)


class MemoryStorage(Storage):
    def __init__(self):
        super().__init__()
        self.data = {}

    async def _load(self, key):
        return Just(self.data[key]) if key in self.data else Nothing()

    async def _store(self, key, value):
        self.data[key] = value

    async def _delete(self, key):
        self.data.pop(key, None)


def b64(b):
    return base64.b64encode(b).decode("ascii")


def bundle_xml(bundle):
    el = ET.Element(f"{Q}bundle")
    ET.SubElement(el, f"{Q}spk", {"id": str(bundle.signed_pre_key_id)}).text = b64(bundle.bundle.signed_pre_key)
    ET.SubElement(el, f"{Q}spks").text = b64(bundle.bundle.signed_pre_key_sig)
    ET.SubElement(el, f"{Q}ik").text = b64(bundle.bundle.identity_key)
    pks = ET.SubElement(el, f"{Q}prekeys")
    for pk in bundle.bundle.pre_keys:
        ET.SubElement(pks, f"{Q}pk", {"id": str(bundle.pre_key_ids[pk])}).text = b64(pk)
    return el


def parse_bundle(el, bare_jid, device_id):
    spk = el.find(f"{Q}spk")
    pks = list(el.iter(f"{Q}pk"))
    return BundleImpl(
        bare_jid,
        device_id,
        x3dh.Bundle(
            base64.b64decode(el.find(f"{Q}ik").text),
            base64.b64decode(spk.text),
            base64.b64decode(el.find(f"{Q}spks").text),
            frozenset(base64.b64decode(pk.text) for pk in pks),
        ),
        int(spk.get("id")),
        {base64.b64decode(pk.text): int(pk.get("id")) for pk in pks},
    )


def message_xml(message):
    enc = ET.Element(f"{Q}encrypted")
    header = ET.SubElement(enc, f"{Q}header", {"sid": str(message.device_id)})
    for jid in frozenset(k.bare_jid for k, _ in message.keys):
        keys = ET.SubElement(header, f"{Q}keys", {"jid": jid})
        for material, kex in message.keys:
            if material.bare_jid != jid:
                continue
            key = ET.SubElement(keys, f"{Q}key", {"rid": str(material.device_id)})
            authenticated = material.serialize()
            if kex is None:
                key.text = b64(authenticated)
            else:
                key.set("kex", "true")
                key.text = b64(kex.serialize(authenticated))
    if not message.content.empty:
        ET.SubElement(enc, f"{Q}payload").text = b64(message.content.ciphertext)
    return enc


def parse_message(enc, sender):
    keys = set()
    for group in enc.iter(f"{Q}keys"):
        jid = group.get("jid")
        for key in group.iter(f"{Q}key"):
            content = base64.b64decode(key.text)
            kex = None
            if key.get("kex") in ("true", "1"):
                kex, content = KeyExchangeImpl.parse(content)
            keys.add((EncryptedKeyMaterialImpl.parse(content, jid, int(key.get("rid"))), kex))
    payload = enc.find(f"{Q}payload")
    return omemo.Message(
        NS,
        sender,
        int(enc.find(f"{Q}header").get("sid")),
        ContentImpl.make_empty() if payload is None else ContentImpl(base64.b64decode(payload.text)),
        frozenset(keys),
    )


def envelope(body, sender):
    env = ET.Element(f"{{{SCE}}}envelope")
    content = ET.SubElement(env, f"{{{SCE}}}content")
    ET.SubElement(content, "{jabber:client}body").text = body
    ET.SubElement(env, f"{{{SCE}}}rpad").text = secrets.token_urlsafe(secrets.randbelow(100) + 1)
    ET.SubElement(env, f"{{{SCE}}}from", {"jid": sender})
    return ET.tostring(env)


def open_envelope(data, sender):
    env = ET.fromstring(data)
    if env.tag != f"{{{SCE}}}envelope":
        raise ValueError(f"not an SCE envelope: {env.tag}")
    frm = env.find(f"{{{SCE}}}from")
    if frm is None or frm.get("jid", "").split("/")[0] != sender:
        raise ValueError("the envelope's <from/> is not the sender")
    body = env.find(f"{{{SCE}}}content/{{jabber:client}}body")
    return None if body is None else body.text


class Manager(omemo.SessionManager):
    xmpp = None

    def options(self, bundles):
        form = self.xmpp["xep_0004"].make_form(ftype="submit")
        form.add_field(var="FORM_TYPE", ftype="hidden", value="http://jabber.org/protocol/pubsub#publish-options")
        form.add_field(var="pubsub#access_model", value="open")
        if bundles:
            form.add_field(var="pubsub#max_items", value="max")
        return form

    async def _upload_bundle(self, bundle):
        await self.xmpp["xep_0060"].publish(
            self.xmpp.boundjid.bare, BUNDLES, id=str(bundle.device_id), payload=bundle_xml(bundle),
            options=self.options(True),
        )

    async def _download_bundle(self, namespace, bare_jid, device_id):
        try:
            iq = await self.xmpp["xep_0060"].get_items(bare_jid, BUNDLES, item_ids=[str(device_id)])
        except IqError as e:
            raise omemo.BundleDownloadFailed(str(e)) from e
        for item in iq["pubsub"]["items"]:
            el = item.xml.find(f"{Q}bundle")
            if el is not None and item["id"] == str(device_id):
                return parse_bundle(el, bare_jid, device_id)
        raise omemo.BundleNotFound(f"no bundle for {bare_jid} device {device_id}")

    async def _delete_bundle(self, namespace, device_id):
        try:
            await self.xmpp["xep_0060"].retract(self.xmpp.boundjid.bare, BUNDLES, str(device_id))
        except IqError:
            pass

    async def _upload_device_list(self, namespace, device_list):
        el = ET.Element(f"{Q}devices")
        for device_id, label in device_list.items():
            d = ET.SubElement(el, f"{Q}device", {"id": str(device_id)})
            if label is not None:
                d.set("label", label)
        await self.xmpp["xep_0060"].publish(
            self.xmpp.boundjid.bare, DEVICES, id="current", payload=el, options=self.options(False),
        )

    async def _download_device_list(self, namespace, bare_jid):
        try:
            iq = await self.xmpp["xep_0060"].get_items(bare_jid, DEVICES)
        except IqError as e:
            if e.iq["error"]["condition"] == "item-not-found":
                return {}
            raise omemo.DeviceListDownloadFailed(str(e)) from e
        items = list(iq["pubsub"]["items"])
        if not items:
            return {}
        el = items[-1].xml.find(f"{Q}devices")
        if el is None:
            return {}
        return {int(d.get("id")): d.get("label") for d in el.iter(f"{Q}device")}

    async def _evaluate_custom_trust_level(self, device: DeviceInformation):
        return TrustLevel.DISTRUSTED if device.trust_level_name == "distrusted" else TrustLevel.TRUSTED

    async def _make_trust_decision(self, undecided, identifier):
        for device in undecided:  # blind trust, like the SDK before verification
            await self.set_trust(device.bare_jid, device.identity_key, "blind")

    async def _send_message(self, message, bare_jid):
        self.xmpp.send_encrypted(bare_jid, message)


class Client(TestClient):
    def __init__(self, args):
        super().__init__(args, ("xep_0004", "xep_0060", "xep_0163"))
        self.manager = None
        self.add_event_handler("message", self.on_message)

    def send_encrypted(self, to, message):
        msg = self.make_message(mto=to, mtype="chat")
        msg.append(message_xml(message))
        msg.append(ET.Element("{urn:xmpp:hints}store"))
        msg.append(ET.Element("{urn:xmpp:eme:0}encryption", {"namespace": NS, "name": "OMEMO"}))
        msg.send()

    async def on_session_start(self, _):
        self.send_presence()
        await self.get_roster()
        Manager.xmpp = self
        storage = MemoryStorage()
        self.manager = await Manager.create(
            [twomemo.Twomemo(storage)], storage, self.boundjid.bare, None, "undecided",
        )
        own, _ = await self.manager.get_own_device_information()
        out({"event": "ready", "device": own.device_id})
        self.command_task = asyncio.ensure_future(self.commands())  # kept: a task without a reference is collected

    async def commands(self):
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while line := await reader.readline():
            cmd = json.loads(line)
            try:
                to = cmd["send"]
                # A client would follow the peer's device list by PEP notifications; reading it
                # before sending is the same for a one-shot peer.
                await self.manager.refresh_device_list(NS, to)
                messages, errors = await self.manager.encrypt(
                    frozenset([to]), {NS: envelope(cmd["body"], self.boundjid.bare)},
                )
                for message in messages:
                    self.send_encrypted(to, message)
                out({"event": "sent", "to": to, "errors": [repr(e) for e in errors]})
            except Exception as e:  # the test reads the failure
                out({"event": "failed", "error": repr(e)})

    async def on_message(self, msg):
        enc = msg.xml.find(f"{Q}encrypted")
        if enc is None or self.manager is None:
            return
        sender = msg["from"].bare
        try:
            plain, device, _ = await self.manager.decrypt(parse_message(enc, sender))
            if plain is None:
                out({"event": "empty", "from": sender, "device": device.device_id})
            else:
                body = open_envelope(plain, sender)
                out({"event": "message", "from": sender, "device": device.device_id, "body": body})
        except Exception as e:
            logging.exception("decryption failed")
            out({"event": "failed", "error": repr(e)})


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--jid", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    client = Client(args)
    client.connect((args.host, args.port), force_starttls=True)
    await client.disconnected


if __name__ == "__main__":
    asyncio.run(main())
