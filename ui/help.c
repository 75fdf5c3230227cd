/* errand: a terminal mail user agent. See LICENSE.
 * The help screen: every action of the screen it was opened from, with
 * the keys bound to it now (defaults and the user's [bindings]). */

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"
#include "xmalloc.h"

#define UI_HELP_KEYS 8

static size_t ui_help_lines(struct ui *, char ***);

/* The lines of help for ui->help_from; the caller frees them. */
static size_t
ui_help_lines(struct ui *ui, char ***out)
{
	char **lines = NULL, keys[128], name[16];
	int k[UI_HELP_KEYS];
	size_t n = 0, nk, i, used;
	int a;

	for (a = 1; a < KEYMAP_NACTIONS; a++) {
		nk = keymap_keys(ui->km, ui->help_from, (enum keymap_action)a,
		    k, UI_HELP_KEYS);
		if (nk == 0)
			continue;
		keys[0] = '\0';
		used = 0;
		for (i = 0; i < nk; i++)
			used += (size_t)snprintf(keys + used,
			    used < sizeof keys ? sizeof keys - used : 0, "%s%s",
			    i > 0 ? " " : "",
			    keymap_key_name(k[i], name, sizeof name));
		lines = xreallocarray(lines, n + 1, sizeof *lines);
		xasprintf(&lines[n++], "%-16s %-18s %s", keys,
		    keymap_action_name((enum keymap_action)a),
		    keymap_action_help((enum keymap_action)a));
	}
	*out = lines;
	return n;
}

void
ui_help_draw(struct ui *ui)
{
	char **lines, *title;
	size_t n, i, rows = ui_list_rows(ui);

	n = ui_help_lines(ui, &lines);
	if (ui->htop + 1 > n + 1)
		ui->htop = n > 0 ? n - 1 : 0;
	xasprintf(&title, "Keys of the %s screen (q to go back):",
	    keymap_screen_name(ui->help_from));
	attron(A_BOLD);
	ui_draw(0, 0, (size_t)ui->cols, title, 0);
	attroff(A_BOLD);
	free(title);
	for (i = 0; i + 1 < rows && ui->htop + i < n; i++)
		ui_draw(
		    (int)i + 1, 0, (size_t)ui->cols, lines[ui->htop + i], 0);
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

void
ui_help_key(struct ui *ui, enum keymap_action a)
{
	char **lines;
	size_t n, i, cur;

	n = ui_help_lines(ui, &lines);
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	cur = ui->htop;
	if (a == KEYMAP_QUIT) {
		ui_show(ui, ui->help_from);
		return;
	}
	if (ui_move(a, &cur, &ui->htop, n, 1)) {
		ui->htop = cur;
		ui_dirty(ui);
	}
}
