#include "msmtp.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* sysexits.h, spelled out: the statuses msmtp uses. */
enum {
	EX_NOHOST_ = 68,
	EX_UNAVAILABLE_ = 69,
	EX_OSERR_ = 71,
	EX_IOERR_ = 74,
	EX_TEMPFAIL_ = 75,
};

/* The last SMTP reply msmtp quotes ("server message: 451 ..."): its first
 * digit, or 0. */
static int server_reply_class(const char *output)
{
	const char *p = output, *hit;
	int cls = 0;

	while ((hit = strstr(p, "server message: "))) {
		const char *d = hit + strlen("server message: ");
		if (d[0] >= '2' && d[0] <= '5' && d[1] >= '0' && d[1] <= '9' && d[2] >= '0' &&
		    d[2] <= '9')
			cls = d[0] - '0';
		p = d;
	}
	return cls;
}

enum msmtp_outcome msmtp_classify(int wstatus, const char *output)
{
	int cls;

	if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)
		return MSMTP_SENT;
	cls = server_reply_class(output ? output : "");
	if (cls == 4)
		return MSMTP_TEMPORARY;
	if (cls == 5)
		return MSMTP_PERMANENT;
	if (!WIFEXITED(wstatus))
		return MSMTP_TEMPORARY;
	switch (WEXITSTATUS(wstatus)) {
	case EX_NOHOST_:
	case EX_UNAVAILABLE_:
	case EX_OSERR_:
	case EX_IOERR_:
	case EX_TEMPFAIL_:
		return MSMTP_TEMPORARY;
	default:
		return MSMTP_PERMANENT;
	}
}

void msmtp_describe(int wstatus, const char *output, char *out, size_t n)
{
	const char *p = output ? output : "";
	size_t o = 0;
	int w;

	if (!n)
		return;
	out[0] = '\0';
	while (*p) {
		const char *end = strchr(p, '\n'), *s = p;
		size_t len;

		if (!end)
			end = p + strlen(p);
		len = (size_t)(end - s);
		if (len >= 7 && !memcmp(s, "msmtp: ", 7)) {
			s += 7;
			len -= 7;
		}
		while (len && (s[len - 1] == '\r' || s[len - 1] == ' '))
			len--;
		if (len && !(len >= 19 && !memcmp(s, "could not send mail", 19))) {
			w = snprintf(out + o, n - o, "%s%.*s", o ? "; " : "", (int)len, s);
			if (w < 0 || (size_t)w >= n - o) {
				o = n - 1;
				break;
			}
			o += (size_t)w;
		}
		p = *end ? end + 1 : end;
	}
	/* Control characters from msmtp's output do not go into the table. */
	for (size_t i = 0; i < o; i++)
		if ((unsigned char)out[i] < 0x20)
			out[i] = ' ';
	if (o + 1 < n) {
		if (WIFEXITED(wstatus))
			snprintf(out + o, n - o, "%s[exit %d]", o ? " " : "", WEXITSTATUS(wstatus));
		else if (WIFSIGNALED(wstatus))
			snprintf(out + o, n - o, "%skilled by signal %d", o ? "; " : "",
				 WTERMSIG(wstatus));
	}
}

void msmtp_pool_init(struct msmtp_pool *p, int size, size_t msg_max)
{
	struct sigaction ign;

	memset(p, 0, sizeof(*p));
	p->size = size < 1 ? 1 : size > MSMTP_MAX_PARALLEL ? MSMTP_MAX_PARALLEL : size;
	for (int i = 0; i < MSMTP_MAX_PARALLEL; i++) {
		p->slot[i].in_fd = p->slot[i].out_fd = -1;
		sbuf_init(&p->slot[i].msg, msg_max);
	}
	p->next = -1;
	/* A child that stops reading its stdin must not kill accrue. */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &p->old_pipe);
}

void msmtp_pool_free(struct msmtp_pool *p)
{
	struct msmtp_done d;
	struct err e;

	while (p->running && msmtp_pool_wait(p, &d, &e) == 1)
		;
	for (int i = 0; i < MSMTP_MAX_PARALLEL; i++)
		sbuf_free(&p->slot[i].msg);
	sigaction(SIGPIPE, &p->old_pipe, NULL);
}

struct sbuf *msmtp_pool_buffer(struct msmtp_pool *p)
{
	for (int i = 0; i < p->size; i++) {
		if (!p->slot[i].pid) {
			p->next = i;
			sbuf_reset(&p->slot[i].msg);
			return &p->slot[i].msg;
		}
	}
	p->next = -1;
	return NULL;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int cloexec_pipe(int fd[2])
{
	if (pipe(fd))
		return -1;
	if (fcntl(fd[0], F_SETFD, FD_CLOEXEC) || fcntl(fd[1], F_SETFD, FD_CLOEXEC)) {
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	return 0;
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void child(int in_r, int out_w, pid_t parent, char *const argv[])
{
	struct sigaction dfl;
	char msg[512];
	size_t n = 0;
	const char *why;

	if (dup2(in_r, 0) < 0 || dup2(out_w, 1) < 0 || dup2(out_w, 2) < 0)
		_exit(127);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigaction(SIGPIPE, &dfl, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	execv(argv[0], argv);
	why = strerror(errno);
	/* "cannot run PATH: REASON", by hand: no stdio after fork. */
	for (const char *s = "cannot run "; *s && n < sizeof(msg); s++)
		msg[n++] = *s;
	for (const char *s = argv[0]; *s && n < sizeof(msg); s++)
		msg[n++] = *s;
	for (const char *s = ": "; *s && n < sizeof(msg); s++)
		msg[n++] = *s;
	for (const char *s = why; *s && n < sizeof(msg) - 1; s++)
		msg[n++] = *s;
	msg[n++] = '\n';
	if (write(2, msg, n) < 0)
		_exit(127);
	_exit(127);
}

int msmtp_pool_start(struct msmtp_pool *p, char *const argv[], long long id, struct err *e)
{
	struct msmtp_slot *s;
	int in[2], out[2];
	pid_t parent = getpid(), pid;

	if (p->next < 0 || p->slot[p->next].pid)
		return err_set(e, EXIT_FAIL, "msmtp pool: no free slot (take a buffer first)");
	s = &p->slot[p->next];
	p->next = -1;
	if (cloexec_pipe(in))
		return err_set(e, EXIT_FAIL, "cannot make a pipe for msmtp: %s", strerror(errno));
	if (cloexec_pipe(out)) {
		close(in[0]);
		close(in[1]);
		return err_set(e, EXIT_FAIL, "cannot make a pipe for msmtp: %s", strerror(errno));
	}
	pid = fork();
	if (pid < 0) {
		int err = errno;
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		return err_set(e, EXIT_FAIL, "cannot start %s: %s", argv[0], strerror(err));
	}
	if (pid == 0)
		child(in[0], out[1], parent, argv);
	close(in[0]);
	close(out[1]);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	s->pid = pid;
	s->in_fd = in[1];
	s->out_fd = out[0];
	s->off = 0;
	s->id = id;
	s->out_len = 0;
	s->out[0] = '\0';
	if (s->msg.len == 0)
		close_fd(&s->in_fd);
	p->running++;
	return 0;
}

/* Feed stdin and drain stdout/stderr of one slot as far as they go now. */
static void pump(struct msmtp_slot *s, short in_ev, short out_ev)
{
	if (s->in_fd >= 0 && in_ev) {
		while (s->off < s->msg.len) {
			ssize_t w = write(s->in_fd, s->msg.p + s->off, s->msg.len - s->off);
			if (w > 0) {
				s->off += (size_t)w;
				continue;
			}
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0 && errno == EAGAIN)
				break;
			/* EPIPE: msmtp stopped reading; its exit status tells. */
			s->off = s->msg.len;
		}
		if (s->off >= s->msg.len)
			close_fd(&s->in_fd);
	}
	if (s->out_fd >= 0 && out_ev) {
		char buf[4096];

		for (;;) {
			ssize_t r = read(s->out_fd, buf, sizeof(buf));
			if (r > 0) {
				size_t keep = sizeof(s->out) - 1 - s->out_len;
				if ((size_t)r < keep)
					keep = (size_t)r;
				memcpy(s->out + s->out_len, buf, keep);
				s->out_len += keep;
				s->out[s->out_len] = '\0';
				continue;
			}
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0 && errno == EAGAIN)
				break;
			close_fd(&s->out_fd);  /* EOF (or an error: the same end) */
			break;
		}
	}
}

int msmtp_pool_wait(struct msmtp_pool *p, struct msmtp_done *d, struct err *e)
{
	for (;;) {
		struct pollfd fds[2 * MSMTP_MAX_PARALLEL];
		int owner[2 * MSMTP_MAX_PARALLEL], nfds = 0;

		for (int i = 0; i < p->size; i++) {
			struct msmtp_slot *s = &p->slot[i];
			int st;

			if (!s->pid || s->in_fd >= 0 || s->out_fd >= 0)
				continue;
			/* Both pipes closed: msmtp is exiting. */
			while (waitpid(s->pid, &st, 0) < 0) {
				if (errno != EINTR) {
					st = 127 << 8;
					break;
				}
			}
			d->id = s->id;
			d->wstatus = st;
			d->outcome = msmtp_classify(st, s->out);
			d->error[0] = '\0';
			if (d->outcome != MSMTP_SENT)
				msmtp_describe(st, s->out, d->error, sizeof(d->error));
			s->pid = 0;
			p->running--;
			return 1;
		}
		if (!p->running)
			return 0;
		for (int i = 0; i < p->size; i++) {
			struct msmtp_slot *s = &p->slot[i];

			if (!s->pid)
				continue;
			if (s->in_fd >= 0) {
				fds[nfds] = (struct pollfd){.fd = s->in_fd, .events = POLLOUT};
				owner[nfds++] = i;
			}
			if (s->out_fd >= 0) {
				fds[nfds] = (struct pollfd){.fd = s->out_fd, .events = POLLIN};
				owner[nfds++] = i;
			}
		}
		if (poll(fds, (nfds_t)nfds, -1) < 0) {
			if (errno == EINTR)
				continue;
			err_set(e, EXIT_FAIL, "waiting for msmtp: %s", strerror(errno));
			return -1;
		}
		for (int k = 0; k < nfds; k++) {
			struct msmtp_slot *s = &p->slot[owner[k]];

			if (!fds[k].revents)
				continue;
			if (fds[k].fd == s->in_fd)
				pump(s, 1, 0);
			else if (fds[k].fd == s->out_fd)
				pump(s, 0, 1);
		}
	}
}
