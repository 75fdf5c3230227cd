/* errand: a terminal mail user agent. See LICENSE.
 * password-command: fork, exec /bin/sh -c, read the first line of stdout
 * with a size cap, wait, and report what went wrong by name. */

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "secret.h"
#include "xmalloc.h"

int
secret_from_command(const char *cmd, char **password, char **err)
{
	char buf[SECRET_MAX + 1];
	size_t len = 0;
	ssize_t n;
	pid_t pid;
	int fds[2], status, devnull;
	char *nl;

	*password = NULL;
	*err = NULL;
	if (pipe2(fds, O_CLOEXEC) == -1) {
		xasprintf(err, "password-command: pipe: %s", strerror(errno));
		return -1;
	}
	switch (pid = fork()) {
	case -1:
		xasprintf(err, "password-command: fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	case 0:
		if ((devnull = open("/dev/null", O_RDONLY)) != -1)
			dup2(devnull, STDIN_FILENO);
		dup2(fds[1], STDOUT_FILENO);
		signal(SIGPIPE, SIG_DFL);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while (len < SECRET_MAX) {
		n = read(fds[0], buf + len, SECRET_MAX - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			xasprintf(
			    err, "password-command: wait: %s", strerror(errno));
			explicit_bzero(buf, sizeof buf);
			return -1;
		}
	}
	buf[len] = '\0';
	if ((nl = memchr(buf, '\n', len)) != NULL)
		*nl = '\0';
	if ((nl = memchr(buf, '\r', strlen(buf))) != NULL)
		*nl = '\0';
	if (WIFSIGNALED(status))
		xasprintf(err, "password-command was killed by signal %d",
		    WTERMSIG(status));
	else if (WEXITSTATUS(status) == 127)
		xasprintf(err,
		    "password-command: command not found or not "
		    "executable");
	else if (WEXITSTATUS(status) != 0)
		xasprintf(err, "password-command exited with status %d",
		    WEXITSTATUS(status));
	else if (buf[0] == '\0')
		xasprintf(err, "password-command printed no password");
	if (*err != NULL) {
		explicit_bzero(buf, sizeof buf);
		return -1;
	}
	*password = xstrdup(buf);
	explicit_bzero(buf, sizeof buf);
	return 0;
}

void
secret_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}
