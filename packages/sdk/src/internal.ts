// The SDK's building blocks, exported for its unit tests only (`@hato/sdk/internal`):
// not a stable API; applications use `@hato/sdk`.
export { type AvatarHost, Avatars, sha1Hex } from "./avatars.js";
export { Chat, type ChatHost } from "./chat.js";
export { decryptFile, encryptFile } from "./encrypted-files/cipher.js";
export { IqError } from "./iq.js";
export { LocalHistory } from "./local-history.js";
export { preKeyMessageIdentity } from "./omemo/bytes.js";
export { type IncomingKey, unwrapKey } from "./omemo/incoming.js";
export {
  bundleElement,
  createOwnDevice,
  newDeviceId,
  parseBundle,
  parseDeviceList,
} from "./omemo/keys.js";
export { Omemo } from "./omemo/omemo.js";
export { keyFor, type Outgoing } from "./omemo/outgoing.js";
export { open as openPayload, seal as sealPayload } from "./omemo/payload.js";
export { libsignal } from "./omemo/signal.js";
export { effectiveTrust, judgeKey, maySendTo } from "./omemo/trust.js";
export * as omemo2Crypto from "./omemo2/crypto.js";
export { identityPair, parseBundle2, parseDevices } from "./omemo2/keys.js";
export { envelope, openEnvelope, openPayload as openPayload2 } from "./omemo2/payload.js";
export * as omemo2Proto from "./omemo2/proto.js";
export * as omemo2Ratchet from "./omemo2/ratchet.js";
export { agreeActive, agreePassive } from "./omemo2/x3dh.js";
export { Roster } from "./roster.js";
export { StreamManagement } from "./sm.js";
export { MessageStore, STORE_LIMITS } from "./store.js";
export { checkPut, fileOf, parseSlot, slotError, Uploads } from "./upload.js";
