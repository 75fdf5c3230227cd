/* errand: a terminal mail user agent. See LICENSE.
 * For tests/integration/corpus-python.sh: what errand shows of each message
 * named on the command line (relative to the first argument, the messages
 * directory), one JSON object a line: the index's Subject, From and To
 * (src/content/mime.c) and the pager's body text and attachment names
 * (src/content/render.c), for corpus-python.py to hold against Python's email. */

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "content/mime.h"
#include "content/render.h"
#include "xmalloc.h"

static void dump_str(const char *, const char *);
static void dump_message(const char *, const char *);

/* "name": s as a JSON string (s is UTF-8), after a comma unless first. */
static void
dump_str(const char *name, const char *s)
{
	const unsigned char *p;

	printf("%s\"%s\": \"", strcmp(name, "path") == 0 ? "" : ", ", name);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

/* One message, as a JSON line. */
static void
dump_message(const char *dir, const char *name)
{
	const struct render_line *l;
	struct mime_headers *h;
	struct render_opts o;
	struct render_doc *doc;
	char *path, *body, *t;
	gchar *buf;
	gsize len;
	size_t i;

	xasprintf(&path, "%s/%s", dir, name);
	if (!g_file_get_contents(path, &buf, &len, NULL))
		fatalx("cannot read '%s'", path);
	h = mime_headers_decode(buf, len, NULL);
	memset(&o, 0, sizeof o);
	o.width = 1000;
	doc = render_message(buf, len, &o);
	body = xstrdup("");
	for (i = 0; i < render_nlines(doc); i++) {
		l = render_line(doc, i);
		if (l->kind != RENDER_BODY && l->kind != RENDER_QUOTE &&
		    l->kind != RENDER_SIGNATURE)
			continue;
		xasprintf(&t, "%s%s\n", body, l->text);
		free(body);
		body = t;
	}
	putchar('{');
	dump_str("path", name);
	dump_str("subject", h->subject);
	dump_str("from_name", h->from_name);
	dump_str("from_addr", h->from_addr);
	dump_str("to", h->to);
	dump_str("body", body);
	printf(", \"attachments\": [");
	for (i = 0; i < render_nattachments(doc); i++) {
		printf(i > 0 ? ", \"" : "\"");
		for (t = (char *)render_attachment(doc, i)->filename;
		     *t != '\0'; t++) {
			if (*t == '"' || *t == '\\')
				putchar('\\');
			putchar(*t);
		}
		putchar('"');
	}
	printf("]}\n");
	free(body);
	render_free(doc);
	mime_headers_free(h);
	g_free(buf);
	free(path);
}

int
main(int argc, char **argv)
{
	int i;

	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL &&
	    setlocale(LC_CTYPE, "en_US.UTF-8") == NULL)
		fatalx("no UTF-8 locale");
	if (argc < 2)
		fatalx("usage: corpus-dump messages-dir [message...]");
	for (i = 2; i < argc; i++)
		dump_message(argv[1], argv[i]);
	mime_shutdown();
	return EXIT_SUCCESS;
}
