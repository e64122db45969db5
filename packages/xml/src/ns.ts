// Namespace names used across Hato (RFC 6120, RFC 6121 and the XEPs).
export const NS_STREAM = "http://etherx.jabber.org/streams";
export const NS_CLIENT = "jabber:client";
export const NS_SERVER = "jabber:server";
export const NS_COMPONENT = "jabber:component:accept";
export const NS_XML = "http://www.w3.org/XML/1998/namespace";
/** The namespace of namespace declarations; it may never be declared (Namespaces §3). */
export const NS_XMLNS = "http://www.w3.org/2000/xmlns/";
export const NS_STREAMS_ERR = "urn:ietf:params:xml:ns:xmpp-streams";
export const NS_STANZAS_ERR = "urn:ietf:params:xml:ns:xmpp-stanzas";
export const NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls";
export const NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
export const NS_BIND = "urn:ietf:params:xml:ns:xmpp-bind";
export const NS_SESSION = "urn:ietf:params:xml:ns:xmpp-session";
export const NS_FRAMING = "urn:ietf:params:xml:ns:xmpp-framing";
export const NS_DISCO_INFO = "http://jabber.org/protocol/disco#info";
export const NS_DISCO_ITEMS = "http://jabber.org/protocol/disco#items";
export const NS_PING = "urn:xmpp:ping";
export const NS_VERSION = "jabber:iq:version";
export const NS_ROSTER = "jabber:iq:roster";
export const NS_DELAY = "urn:xmpp:delay";
export const NS_OFFLINE = "msgoffline";
export const NS_SASL_CB = "urn:xmpp:sasl-cb:0";
export const NS_STANZA_ID = "urn:xmpp:sid:0";
export const NS_SM = "urn:xmpp:sm:3";
export const NS_CSI = "urn:xmpp:csi:0";
