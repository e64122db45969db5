// The web client as its users see it: roles and accessible names (issue 4), one place for the
// tests to say "open the chat with bob" or "send hello".

import type { Locator, Page } from "playwright-core";

const reEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The list named "Contacts". */
export const contactList = (page: Page): Locator => page.getByRole("list", { name: "Contacts" });

/** The contact's entry, named by its name or address (the name may go on with its status). */
export const contactItem = (page: Page, nameOrJid: string): Locator =>
  contactList(page).getByRole("listitem", { name: new RegExp(`^${reEscape(nameOrJid)}\\b`, "i") });

/** Opens the chat with a contact from the list. */
export async function openChat(page: Page, nameOrJid: string): Promise<void> {
  await contactItem(page, nameOrJid).click();
  await messageBox(page).waitFor();
}

/** The textbox "Message". */
export const messageBox = (page: Page): Locator => page.getByRole("textbox", { name: "Message" });

/** Types and sends a message with the button "Send". */
export async function sendMessage(page: Page, text: string): Promise<void> {
  await messageBox(page).fill(text);
  await page.getByRole("button", { name: "Send", exact: true }).click();
}

/** The conversation shown (a live region of role "log"). */
export const messageLog = (page: Page): Locator => page.getByRole("log");

/** A message in the open conversation whose whole text is `text`. */
export const messageText = (page: Page, text: string): Locator =>
  messageLog(page).getByText(text, { exact: true });

/** Waits until `text` shows in the open conversation. */
export async function expectMessage(page: Page, text: string, timeout = 20_000): Promise<void> {
  await messageText(page, text).first().waitFor({ timeout });
}

/** The add-contact form's address box ("Contact address"). */
export const addContactBox = (page: Page): Locator =>
  page.getByRole("textbox", { name: "Contact address" });

/** Adds a contact by address (the subscription request goes out with it). */
export async function addContact(page: Page, jid: string): Promise<void> {
  await addContactBox(page).fill(jid);
  await page.getByRole("button", { name: "Add contact", exact: true }).click();
}

/** The button approving the incoming subscription request from `jid`. */
export const approveButton = (page: Page, jid: string): Locator =>
  page.getByRole("button", { name: `Approve ${jid}`, exact: true });

/** Approves the incoming subscription request from `jid`. */
export async function approveRequest(page: Page, jid: string): Promise<void> {
  await approveButton(page, jid).click();
  await approveButton(page, jid).waitFor({ state: "hidden" });
}

/** The banner that says the client is offline or reconnecting. */
export const offlineBanner = (page: Page): Locator =>
  page
    .getByRole("alert")
    .or(page.getByRole("status"))
    .filter({ hasText: /offline|reconnect|connection lost/i });

/** Reloads and signs in again if the client asks (it may keep the session). */
export async function reloadSignedIn(page: Page, jid: string, password: string): Promise<void> {
  await page.reload();
  const form = page.getByLabel("Password");
  await form.or(contactList(page)).first().waitFor({ state: "attached" });
  if (await form.isVisible()) {
    await page.getByLabel("Address").fill(jid);
    await form.fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
  }
  await contactList(page).waitFor({ state: "attached" });
}

/** The read marker on an own message whose text is `text`: its state says "Read". */
export const readMarker = (page: Page, text: string): Locator =>
  messageLog(page)
    .getByRole("listitem")
    .filter({ has: page.getByText(text, { exact: true }) })
    .getByText("Read", { exact: true });

/** Fills the invite page's form ("Username", "Password", "Repeat password") and submits it. */
export async function createAccount(page: Page, username: string, password: string): Promise<void> {
  await page.getByRole("textbox", { name: "Username" }).fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByLabel("Repeat password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
}

/** The "Your organisation" panel: the policy rules that apply to the signed-in user. */
export const policyPanel = (page: Page): Locator =>
  page.getByRole("region", { name: "Your organisation" });

/** The chat header's encryption state ("End-to-end encrypted", "Cannot encrypt", "Not encrypted"…). */
export const encryptionState = (page: Page): Locator =>
  page.locator(".chat-head").getByTestId("e2ee-state");

/**
 * The explicit per-chat choice to send unencrypted, for a peer whose app cannot receive
 * encrypted messages: waits for the notice that says so, then clicks "Send unencrypted in this chat".
 */
export async function allowUnencrypted(page: Page): Promise<void> {
  await page.getByText(/app cannot receive encrypted messages/).waitFor();
  await page.getByRole("button", { name: "Send unencrypted in this chat" }).click();
  await encryptionState(page).getByText("Not encrypted", { exact: true }).waitFor();
}
