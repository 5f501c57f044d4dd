#include "pipeline.h"
#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum msg_kind { MSG_BLOCK, MSG_LOSS, MSG_FLUSH, MSG_SNAPSHOT, MSG_STOP };

struct msg {
	enum msg_kind kind;
	struct blockbuf *buf;                 /* MSG_BLOCK */
	uint32_t stream, cpu;                 /* MSG_LOSS */
	uint64_t ts_ns, count;
};

/* A bounded FIFO of messages; capacity covers every buffer of the pool plus
 * the small messages that can be outstanding between two blocks. */
struct pipeline {
	struct capw *w;
	struct pipeline_opts o;
	pthread_t thread;
	int started;
	pthread_mutex_t lock;
	pthread_cond_t to_writer;             /* queue not empty */
	pthread_cond_t to_drain;              /* a buffer came back / queue has room */
	struct msg *q;                        /* ring of qcap messages */
	uint32_t qcap, qhead, qlen;
	struct blockbuf **free;               /* stack of free buffers */
	uint32_t nfree;
	struct blockbuf *cur;                 /* drain thread's current buffer */
	uint64_t last_flush_ns;
	int error;                            /* writer's first error */
};

static void push_locked(struct pipeline *p, const struct msg *m)
{
	while (p->qlen == p->qcap)
		pthread_cond_wait(&p->to_drain, &p->lock);
	p->q[(p->qhead + p->qlen) % p->qcap] = *m;
	p->qlen++;
	pthread_cond_signal(&p->to_writer);
}

static void push(struct pipeline *p, const struct msg *m)
{
	pthread_mutex_lock(&p->lock);
	push_locked(p, m);
	pthread_mutex_unlock(&p->lock);
}

static void *writer_main(void *arg)
{
	struct pipeline *p = arg;
	struct msg m;
	int err;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		while (!p->qlen)
			pthread_cond_wait(&p->to_writer, &p->lock);
		m = p->q[p->qhead];
		p->qhead = (p->qhead + 1) % p->qcap;
		p->qlen--;
		pthread_cond_signal(&p->to_drain);
		pthread_mutex_unlock(&p->lock);

		err = 0;
		switch (m.kind) {
		case MSG_BLOCK:
			if (!p->error)
				err = capw__write_block(p->w, m.buf);
			blockbuf__reset(m.buf);
			pthread_mutex_lock(&p->lock);
			p->free[p->nfree++] = m.buf;
			pthread_cond_signal(&p->to_drain);
			pthread_mutex_unlock(&p->lock);
			break;
		case MSG_LOSS:
			if (!p->error)
				err = capw__add_loss(p->w, m.stream, m.cpu, m.ts_ns, m.count);
			break;
		case MSG_FLUSH:
			if (!p->error)
				err = capw__flush(p->w);
			break;
		case MSG_SNAPSHOT: {
			char path[4096];

			/* Not p->error: the recording goes on without it. */
			if (!p->error && capw__snapshot(p->w, path, sizeof(path)) == 0)
				info_msg("snapshot: %s", path);
			break;
		}
		case MSG_STOP:
			if (!p->error)
				err = capw__flush(p->w);
			if (err && !p->error)
				p->error = err;
			return NULL;
		}
		if (err && !p->error)
			p->error = err;   /* read racily by the drain thread: a hint to stop */
	}
}

struct pipeline *pipeline__start(struct capw *w, const struct pipeline_opts *opts)
{
	struct pipeline *p = calloc(1, sizeof(*p));
	uint32_t i;

	if (!p)
		return NULL;
	p->w = w;
	if (opts)
		p->o = *opts;
	/* 4 MiB blocks: a block's dictionaries are paid once per block, so
	 * larger ones compress better (7.4 against 8.6 bytes per event on the
	 * benchmark's mix); 6 of them bound the memory at 24 MiB. */
	if (!p->o.block_bytes)
		p->o.block_bytes = 4u << 20;
	if (!p->o.nbufs)
		p->o.nbufs = 6;
	if (!p->o.flush_ns)
		p->o.flush_ns = 1000000000ull;
	p->qcap = p->o.nbufs * 4 + 64;
	p->q = calloc(p->qcap, sizeof(*p->q));
	p->free = calloc(p->o.nbufs, sizeof(*p->free));
	if (!p->q || !p->free)
		goto fail;
	for (i = 0; i < p->o.nbufs; i++) {
		p->free[i] = blockbuf__new(p->o.block_bytes);
		if (!p->free[i])
			goto fail;
		p->nfree++;
	}
	p->cur = p->free[--p->nfree];
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->to_writer, NULL);
	pthread_cond_init(&p->to_drain, NULL);
	if (pthread_create(&p->thread, NULL, writer_main, p)) {
		warn_msg("writer thread: %s", strerror(errno));
		goto fail;
	}
	p->started = 1;
	p->last_flush_ns = now_boot_ns();
	return p;
fail:
	pipeline__free(p);
	errno = ENOMEM;
	return NULL;
}

/* Sends cur to the writer and takes a free buffer, waiting if none is free. */
static void hand_over(struct pipeline *p)
{
	struct msg m = { .kind = MSG_BLOCK, .buf = p->cur };

	pthread_mutex_lock(&p->lock);
	push_locked(p, &m);
	while (!p->nfree)
		pthread_cond_wait(&p->to_drain, &p->lock);
	p->cur = p->free[--p->nfree];
	pthread_mutex_unlock(&p->lock);
}

int pipeline__append(struct pipeline *p, uint32_t stream, uint32_t cpu, uint64_t ts_ns,
		     const void *data, uint32_t len)
{
	int err = blockbuf__add(p->cur, stream, cpu, ts_ns, data, len);

	if (err == -ENOSPC) {
		hand_over(p);
		err = blockbuf__add(p->cur, stream, cpu, ts_ns, data, len);
	}
	if (err)
		return err;
	return p->error;
}

int pipeline__loss(struct pipeline *p, uint32_t stream, uint32_t cpu, uint64_t ts_ns,
		   uint64_t count)
{
	struct msg m = { .kind = MSG_LOSS, .stream = stream, .cpu = cpu,
			 .ts_ns = ts_ns, .count = count };

	push(p, &m);
	return p->error;
}

void pipeline__tick(struct pipeline *p, uint64_t now_ns)
{
	struct msg m = { .kind = MSG_FLUSH };

	if (now_ns - p->last_flush_ns < p->o.flush_ns)
		return;
	if (blockbuf__count(p->cur))
		hand_over(p);
	push(p, &m);
	p->last_flush_ns = now_ns;
}

void pipeline__snapshot(struct pipeline *p)
{
	struct msg m = { .kind = MSG_SNAPSHOT };

	if (blockbuf__count(p->cur))
		hand_over(p);
	push(p, &m);
}

int pipeline__error(const struct pipeline *p)
{
	return __atomic_load_n(&p->error, __ATOMIC_RELAXED);
}

int pipeline__stop(struct pipeline *p)
{
	struct msg m = { .kind = MSG_STOP };

	if (!p->started)
		return p->error;
	if (blockbuf__count(p->cur))
		hand_over(p);
	push(p, &m);
	pthread_join(p->thread, NULL);
	p->started = 0;
	return p->error;
}

void pipeline__free(struct pipeline *p)
{
	uint32_t i;

	if (!p)
		return;
	if (p->started)
		pipeline__stop(p);
	for (i = 0; i < p->nfree; i++)
		blockbuf__free(p->free[i]);
	blockbuf__free(p->cur);
	free(p->free);
	free(p->q);
	free(p);
}
