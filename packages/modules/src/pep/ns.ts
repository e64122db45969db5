// Namespaces of PEP (XEP-0163), pubsub (XEP-0060), caps (XEP-0115), bookmarks and avatars.
export const NS_PUBSUB = "http://jabber.org/protocol/pubsub";
export const NS_PUBSUB_OWNER = "http://jabber.org/protocol/pubsub#owner";
export const NS_PUBSUB_EVENT = "http://jabber.org/protocol/pubsub#event";
export const NS_PUBSUB_ERRORS = "http://jabber.org/protocol/pubsub#errors";
export const NS_NODE_CONFIG = "http://jabber.org/protocol/pubsub#node_config";
export const NS_PUBLISH_OPTIONS = "http://jabber.org/protocol/pubsub#publish-options";
export const NS_DATA = "jabber:x:data";
export const NS_CAPS = "http://jabber.org/protocol/caps";
export const NS_BOOKMARKS = "storage:bookmarks";
export const NS_BOOKMARKS2 = "urn:xmpp:bookmarks:1";
export const NS_PRIVATE = "jabber:iq:private";
export const NS_AVATAR_DATA = "urn:xmpp:avatar:data";
export const NS_AVATAR_METADATA = "urn:xmpp:avatar:metadata";
export const NS_VCARD = "vcard-temp";
export const NS_VCARD_UPDATE = "vcard-temp:x:update";
export const NS_PEP_VCARD_CONVERSION = "urn:xmpp:pep-vcard-conversion:0";
