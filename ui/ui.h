/* errand: a terminal mail user agent. See LICENSE.
 * The full-screen interface: index, pager, folder list and help on one
 * libevent loop with the network, drawn from the cache at once and brought
 * up to date by a background sync. */
#ifndef ERRAND_UI_UI_H
#define ERRAND_UI_UI_H

struct cmd_ctx;
struct account;

/* Run the interface on the account's folder (its display name; NULL:
 * INBOX) until the user quits. Returns a CMD_EXIT_ value; prints why on
 * stderr after the screen is restored when it fails. */
int ui_run(struct cmd_ctx *, const struct account *, const char *folder);

#endif
