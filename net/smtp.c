/* errand: a terminal mail user agent. See LICENSE.
 * SMTP submission session (stub until the session lands): every send
 * fails softly on the loop so callers can be written against the API. */
#include <stdlib.h>

#include <event2/event.h>

#include "smtp.h"
#include "xmalloc.h"

struct smtp {
	struct event *ev;
	smtp_done_cb done;
	void *arg;
};

static void
smtp_stub_cb(evutil_socket_t fd, short what, void *arg)
{
	struct smtp *s = arg;
	struct smtp_result r = {0};

	(void)fd;
	(void)what;
	r.status = SMTP_TEMPFAIL;
	r.text = (char *)"cannot send: SMTP not implemented yet";
	s->done(&r, s->arg);
	event_free(s->ev);
	free(s);
}

struct smtp *
smtp_send(struct event_base *base, const struct smtp_params *p,
    const char *from, const char *const *rcpts, size_t nrcpt, int msgfd,
    smtp_done_cb done, void *arg)
{
	struct smtp *s = xcalloc(1, sizeof *s);
	struct timeval tv = {0, 0};

	(void)p;
	(void)from;
	(void)rcpts;
	(void)nrcpt;
	(void)msgfd;
	s->done = done;
	s->arg = arg;
	s->ev = evtimer_new(base, smtp_stub_cb, s);
	evtimer_add(s->ev, &tv);
	return s;
}

struct smtp *
smtp_check(struct event_base *base, const struct smtp_params *p,
    smtp_done_cb done, void *arg)
{
	return smtp_send(base, p, NULL, NULL, 0, -1, done, arg);
}

void
smtp_cancel(struct smtp *s)
{
	if (s == NULL)
		return;
	event_free(s->ev);
	free(s);
}
