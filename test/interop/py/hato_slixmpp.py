"""What every one-shot slixmpp script of the interop tests shares: a client for a test server.

It connects to --host/--port whatever the JID's domain says, trusts the test CA, and logs in
with SCRAM-SHA-256 without channel binding (Debian's slixmpp 1.8.3 knows only tls-unique,
which TLS 1.3 does not have).
"""

import slixmpp


class TestClient(slixmpp.ClientXMPP):
    def __init__(self, args, plugins):
        super().__init__(args.jid, args.password)
        self.args = args
        self.ca_certs = args.ca
        self.use_ipv6 = False
        self.result = {}
        for plugin in ("feature_mechanisms", *plugins):
            self.register_plugin(plugin)
        mechs = self["feature_mechanisms"]
        mechs.use_mechs = {"SCRAM-SHA-256"}
        default_credentials = mechs._default_credentials

        def credentials(required, optional):
            creds = default_credentials(required, optional)
            creds.pop("channel_binding", None)
            return creds

        mechs.sasl_callback = credentials
        self.add_event_handler("session_start", self.on_session_start)

    async def get_dns_records(self, domain, port=None):
        return [(domain, self.args.host, self.args.port)]

    async def on_session_start(self, _):
        raise NotImplementedError
