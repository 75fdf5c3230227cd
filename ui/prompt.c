/* errand: a terminal mail user agent. See LICENSE.
 * Password prompt on /dev/tty with echo off; the terminal mode is restored
 * whatever happens, and the typed text is wiped from the stack. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "src/secret.h"
#include "src/xmalloc.h"
#include "ui/prompt.h"

char *
prompt_password(const char *prompt, char **err)
{
	struct termios old, quiet;
	char buf[SECRET_MAX + 1], c;
	size_t len = 0;
	ssize_t n;
	int fd, restore = 0;
	char *s;

	*err = NULL;
	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) == -1) {
		xasprintf(err,
		    "no terminal to ask for the password on (%s); "
		    "set password-command",
		    strerror(errno));
		return NULL;
	}
	if (tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		if (tcsetattr(fd, TCSAFLUSH, &quiet) == 0)
			restore = 1;
	}
	(void)!write(fd, prompt, strlen(prompt));
	for (;;) {
		n = read(fd, &c, 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0 || c == '\n' || c == '\r')
			break;
		if (len < SECRET_MAX)
			buf[len++] = c;
	}
	buf[len] = '\0';
	if (restore)
		tcsetattr(fd, TCSAFLUSH, &old);
	(void)!write(fd, "\n", 1);
	close(fd);
	if (n <= 0 && len == 0) {
		xasprintf(err, "no password given");
		explicit_bzero(buf, sizeof buf);
		return NULL;
	}
	s = xstrdup(buf);
	explicit_bzero(buf, sizeof buf);
	return s;
}
