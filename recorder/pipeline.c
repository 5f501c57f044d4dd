#include "pipeline.h"
#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum msg_kind { MSG_BLOCK, MSG_LOSS, MSG_FLUSH, MSG_SNAPSHOT, MSG_CALL, MSG_STOP };

struct msg {
	enum msg_kind kind;
	struct blockbuf *buf;                 /* MSG_BLOCK */
	bool fast;                            /* MSG_BLOCK: encode it fast */
	bool faster;                          /* fast, at BLOCK_FASTER_ZSTD_LEVEL */
	uint32_t stream, cpu;                 /* MSG_LOSS */
	uint64_t ts_ns, count;
	int (*fn)(void *ctx, struct capw *w);   /* MSG_CALL */
	void *ctx;
};

#define PIPELINE_MAX_WORKERS 4

struct worker {
	struct pipeline *p;
	pthread_t thread;
};

/* An encoder and the chain it holds (block_encoder__chain: its next
 * compact block continues the dictionaries of the last one it encoded).
 * Encoders are not the workers': a worker takes one per block (as many
 * encoders as workers, so one is always free) and keeps it until the
 * block is written (apply may encode it again), so the chain state goes
 * to whichever worker is free; see take_encoder_locked. */
struct wenc {
	struct block_encoder *enc;
	bool busy;                            /* a worker's, for one block */
	uint64_t chain_seq;                   /* block number of the compact block its
					       * chain continues from; 0: none */
};

/* A bounded FIFO of messages; capacity covers every buffer of the pool plus
 * the small messages that can be outstanding between two blocks.  Each
 * message taken from it gets a ticket; workers encode blocks in parallel but
 * touch the capture (capw) only in ticket order, one at a time, so blocks,
 * losses and commits reach the capture in the order the drain thread sent
 * them. */
struct pipeline {
	struct capw *w;
	struct pipeline_opts o;
	struct worker workers[PIPELINE_MAX_WORKERS];
	struct wenc encs[PIPELINE_MAX_WORKERS];
	uint64_t block_seq;                   /* blocks taken by the workers, numbered from 1 */
	uint32_t nstarted;                    /* worker threads running */
	pthread_mutex_t lock;
	pthread_cond_t to_writer;             /* queue not empty, or stopped */
	pthread_cond_t to_drain;              /* a buffer came back / queue has room */
	pthread_cond_t turn_changed;
	struct msg *q;                        /* ring of qcap messages */
	uint32_t qcap, qhead, qlen;
	uint64_t next_ticket;                 /* ticket of the next message taken */
	uint64_t turn;                        /* ticket allowed to use capw now */
	bool stopped;                         /* MSG_STOP done: workers exit */
	struct blockbuf **free;               /* stack of free buffers */
	uint32_t nfree;
	/* The spares (pipeline_opts.spare_bufs) not lent, their memory
	 * released; how many are lent (in the pool, as any buffer), when the
	 * drain thread last needed one (its clock), and how often it took
	 * one (read by anyone). */
	struct blockbuf **spare;
	uint32_t nspare, nlent;
	uint64_t spare_need_ns, spares_taken;
	struct blockbuf *cur;                 /* drain thread's current buffer */
	uint64_t last_flush_ns;
	int error;                            /* writers' first error */
	/* Times the drain thread found no free buffer while recording (the
	 * writers behind: the kernel's buffers fill meanwhile), and how long
	 * it waited; written by the drain thread, read by anyone. */
	uint64_t stalls, stall_ns;
	/* PIPELINE_ADAPT, drain thread: the fullest kernel buffer at the
	 * last pass (thousandths), whether blocks go fast now, and the
	 * hand-overs in a row that found no backlog.  Blocks encoded in all
	 * and fast: counted by the writers, read by anyone. */
	uint32_t fill_pm;
	uint64_t headroom_ns;  /* pipeline__headroom's (drain thread); 0: not known */
	/* Drain thread: when the last hand-over ended, and the time a full
	 * block's events take to come, averaged (BLOCK_NS_SHIFT); 0: not known. */
	uint64_t last_handover_ns, arrive_ns;
	bool fast;
	uint32_t calm;
	/* The calm hand-overs that end fast blocks now (CALM_HANDOVERS,
	 * doubled at each relapse), and the hand-overs since the blocks went
	 * compact again (UINT32_MAX: never fast yet). */
	uint32_t calm_need, since_compact;
	bool faster;           /* a kernel buffer FASTER_FILL_PM full: fast blocks at
				* BLOCK_FASTER_ZSTD_LEVEL */
	uint64_t nblocks, nfast, nfaster;
	/* Lock held: how long a writer keeps a compact block's buffer (from
	 * taking the block to giving the buffer back, turn wait included),
	 * scaled to a full block, averaged (BLOCK_NS_SHIFT); 0: none yet:
	 * the longest a hand-over that finds no free buffer waits.  And of
	 * that, the writer's own work (work_ns: not the wait for its turn,
	 * e.g. behind a commit's fdatasync, which a fast block would not
	 * shorten). */
	uint64_t block_ns, work_ns;
};

/* Backlog thresholds of PIPELINE_ADAPT.  Fast from the hand-over that
 * finds no free block buffer while the kernel's buffers could not absorb
 * STARVED_HEADROOM_BLOCKS times the wait it begins (STARVED_HEADROOM_BLOCKS
 * below), or a kernel buffer FAST_FILL_PM full
 * at a drain pass's start (the drain itself late: on a machine whose CPUs
 * the producers and writers keep busy, cheaper blocks leave it more);
 * compact again after CALM_HANDOVERS hand-overs in a row that found a free
 * block buffer and the kernel's buffers under CALM_FILL_PM, i.e. once the
 * backlog they held is drained.  The gap between the two keeps a machine
 * at the edge from switching on every block.  (A ring so small that one
 * drain period fills a quarter of it keeps the blocks fast: it is about to
 * lose events whenever the drain is a few periods late.) */
#define FAST_FILL_PM 250
#define CALM_FILL_PM 60
#define CALM_HANDOVERS 4
/* A backlog within RELAPSE_HANDOVERS hand-overs of the switch back to
 * compact blocks is a relapse: the events come faster than the writers
 * make compact blocks, and each try costs the writers the compact blocks
 * in flight (~1.6x a fast one's CPU) just when they are behind, a burst
 * the kernel's buffers must absorb.  Each relapse doubles the calm
 * hand-overs the next switch back waits for, up to CALM_MAX_HANDOVERS (at
 * 8 M events/s a hand-over is ~12 ms: ~6 s); compact blocks that hold for
 * RELAPSE_HANDOVERS start the count anew. */
#define RELAPSE_HANDOVERS 32
#define CALM_MAX_HANDOVERS 512
/* A kernel buffer half full at a drain pass's start: the events are ~60 ms
 * (64 MiB at 8 M events/s) from being lost, and the fast blocks handed
 * over or taken by a writer then are made at BLOCK_FASTER_ZSTD_LEVEL,
 * ~10% less CPU for ~1.2x their bytes, so the writers catch up sooner. */
#define FASTER_FILL_PM 500
/* A hand-over that finds every block buffer with the writers waits for
 * one of them: at most one block's time (block_ns).  While the blocks are
 * compact, that is a backlog only
 *   - when the writers may be near their limit: a compact block takes a
 *     writer's work more than STARVED_BEHIND_NUM / STARVED_BEHIND_DEN of
 *     the time in which a block's events come (work_ns, arrive_ns).  Two
 *     writers could take twice that, were a CPU free for each; but the
 *     producers and the drain take CPU too (the bench's generator a whole
 *     one at 8 M/s), so that half is where the two may share one CPU at
 *     their limit (the events come faster than compact blocks are made:
 *     the wait recurs and the kernel's buffers fill).  A wait for a
 *     commit's fdatasync is no such thing, and fast blocks would not
 *     shorten it;
 *   - or when the kernel's buffers, at the rate they fill, are full within
 *     STARVED_HEADROOM_BLOCKS such waits (pipeline__headroom; a small ring).
 * At 8 M events/s a block's events come in ~11 ms and a compact block takes
 * a writer longer than that, so blocks go fast at the first wait, as they
 * always did; at 1 M/s they come in ~90 ms, a compact block takes ~15 ms
 * of work on a loaded machine (~45 would be near the limit)
 * and a 64 MiB ring holds ~0.9 s: a writer a loaded machine slowed for a
 * moment makes no fast block (each costs ~2 bytes an event more than a
 * compact one).  Not known (before the first compact block, a buffer
 * whose fill the drain cannot see): a backlog, as if the writers were
 * behind.  While the blocks are fast, a wait is a backlog as ever: even
 * fast blocks do not keep up. */
#define STARVED_BEHIND_NUM 1
#define STARVED_BEHIND_DEN 2
#define STARVED_HEADROOM_BLOCKS 8
/* block_ns and arrive_ns: each block's time weighs 1/4 of the average,
 * and only blocks at least 1/8 full count (a small one's fixed costs,
 * scaled to a full block, would say nothing of a full one). */
#define BLOCK_NS_SHIFT 2
#define BLOCK_NS_MIN_FILL 8
/* A hand-over that finds every buffer with the writers takes a spare
 * instead of waiting when the kernel's buffers are small for the rate
 * they fill at: less than SPARE_FILL_PM full, yet full within
 * SPARE_HEADROOM_WAITS such waits (a writer's block_ns; SPARE_UNKNOWN_NS
 * before it is known) and within SPARE_HEADROOM_MAX_NS.  A 4 MiB per-CPU
 * ring holds ~9 ms of events from one CPU at 6 M/s, a compact block keeps
 * a writer ~8 ms: a spare.  A 64 MiB ring at 8 M/s (~110 ms empty) takes
 * the wait, and when it fills (the writers behind for long) one block
 * more would not save it: the pool's memory stays as it was.  (Without
 * the bound, a loaded machine's writers, ~60 ms a compact block at the
 * start, had the bench's 8 M/s take a spare now and then: 8 MiB more
 * RSS.)  A spare goes back once SPARE_KEEP_NS pass without one needed: a
 * burst's spare is not released and faulted in again between its
 * blocks. */
#define SPARE_HEADROOM_WAITS 2
#define SPARE_FILL_PM 250
#define SPARE_HEADROOM_MAX_NS 40000000ull
#define SPARE_UNKNOWN_NS 20000000ull
#define SPARE_KEEP_NS 1000000000ull

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

static void set_error(struct pipeline *p, int err)
{
	if (err && !p->error)
		__atomic_store_n(&p->error, err, __ATOMIC_RELAXED);   /* read racily by the drain */
}

/* Runs m against the capture; the caller holds the turn. */
static int apply(struct pipeline *p, const struct msg *m, struct block_encoder *enc, int enc_err,
		 const uint8_t *out, size_t len, const struct cap_block_meta *meta)
{
	char path[4096];

	/* After an error (a full disk) nothing more is written, but every
	 * block is still accounted for: counted as lost in the index, which
	 * keeps taking loss rows and commits as long as it can. */
	switch (m->kind) {
	case MSG_BLOCK:
		if (p->error || enc_err == -EPROTO)   /* not encoded, or would not read back */
			return capw__add_block_loss(p->w, m->buf);
		if (enc_err) {
			warn_msg("encode block: %s", strerror(-enc_err));
			capw__add_block_loss(p->w, m->buf);
			return enc_err;
		}
		/* (a chained block whose base is not where it goes: enc
		 * encodes it again, under the turn) */
		return capw__append_chained(p->w, m->buf, enc, out, len, meta);
	case MSG_LOSS:
		return capw__add_loss(p->w, m->stream, m->cpu, m->ts_ns, m->count);
	case MSG_FLUSH:
	case MSG_STOP:
		return capw__flush(p->w);
	case MSG_CALL:
		/* Its own rows: a failure is said by fn and stops nothing. */
		m->fn(m->ctx, p->w);
		return 0;
	case MSG_SNAPSHOT:
		/* Not p->error: the recording goes on without it. */
		if (!p->error && capw__snapshot(p->w, path, sizeof(path)) == 0)
			info_msg("snapshot: %s", path);
		return 0;
	}
	return 0;
}

/* Lock held: the encoder for the next block (fast: a fast block); one is
 * always free, as there are as many as workers and each worker holds at
 * most one.  A compact block takes the free encoder whose chain is the
 * newest: at low load the one the block before went to, done with it by
 * now, so consecutive blocks chain (the freshest dictionaries), not each
 * writer every other block.  Under load, while that one is still busy,
 * the block takes another: the writers never wait for each other.  A
 * fast block continues no chain and ends its encoder's: it takes the
 * free encoder whose chain is the oldest. */
static struct wenc *take_encoder_locked(struct pipeline *p, bool fast)
{
	struct wenc *best = NULL;

	for (uint32_t i = 0; i < p->o.nworkers; i++) {
		struct wenc *e = &p->encs[i];

		if (e->busy)
			continue;
		if (!best || (fast ? e->chain_seq < best->chain_seq : e->chain_seq > best->chain_seq))
			best = e;
	}
	best->busy = true;
	return best;
}

/* Lock held: a compact block of raw_bytes took enc_ns to encode, waited
 * turn_ns for its turn and kept its buffer held_ns in all (block_ns,
 * work_ns): the encoding scales with the bytes, the rest (the turn, the
 * write, the commits before it) does not. */
static void note_block_ns_locked(struct pipeline *p, uint64_t enc_ns, uint64_t turn_ns,
				 uint64_t held_ns, size_t raw_bytes)
{
	uint64_t full;

	if (raw_bytes < p->o.block_bytes / BLOCK_NS_MIN_FILL || !raw_bytes ||
	    enc_ns + turn_ns > held_ns)
		return;
	full = enc_ns * p->o.block_bytes / raw_bytes + (held_ns - enc_ns);
	p->block_ns = p->block_ns ? p->block_ns - (p->block_ns >> BLOCK_NS_SHIFT) +
				    (full >> BLOCK_NS_SHIFT) : full;
	full -= turn_ns;
	p->work_ns = p->work_ns ? p->work_ns - (p->work_ns >> BLOCK_NS_SHIFT) +
				  (full >> BLOCK_NS_SHIFT) : full;
}

static void *worker_main(void *arg)
{
	struct worker *wk = arg;
	struct pipeline *p = wk->p;
	struct cap_block_meta meta;
	const uint8_t *out = NULL;
	size_t len = 0;
	uint64_t ticket, seq;
	struct msg m;
	struct wenc *we;
	uint64_t taken_ns, enc_ns, turn_ns;
	size_t raw_bytes;
	int enc_err, rc;
	bool encoded;

	/* Its own name (top -H, perf, the bench's CPU split between the drain
	 * thread and the writers): failing to set it changes nothing. */
	pthread_setname_np(pthread_self(), "bpfrec-writer");
	for (;;) {
		pthread_mutex_lock(&p->lock);
		while (!p->qlen && !p->stopped)
			pthread_cond_wait(&p->to_writer, &p->lock);
		if (p->stopped) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		m = p->q[p->qhead];
		/* A block sent compact goes fast if the backlog began since. */
		m.fast |= p->fast;
		m.faster = m.fast && (m.faster || p->faster);
		p->qhead = (p->qhead + 1) % p->qcap;
		p->qlen--;
		ticket = p->next_ticket++;
		we = NULL;
		seq = 0;
		if (m.kind == MSG_BLOCK) {
			seq = ++p->block_seq;
			we = take_encoder_locked(p, m.fast);
		}
		pthread_cond_signal(&p->to_drain);
		pthread_mutex_unlock(&p->lock);
		taken_ns = m.kind == MSG_BLOCK ? now_mono_ns() : 0;
		raw_bytes = m.kind == MSG_BLOCK ? blockbuf__bytes(m.buf) : 0;

		/* The expensive part, outside the turn: other workers encode
		 * their blocks meanwhile. */
		enc_err = 0;
		enc_ns = 0;
		encoded = m.kind == MSG_BLOCK && !pipeline__error(p) && blockbuf__count(m.buf);
		if (encoded) {
			/* A base further back than a chained block may name
			 * (one encoder idle while the other took every block):
			 * capw would only encode the block again. */
			if (!m.fast && we->chain_seq && seq - we->chain_seq > CAP_CHAIN_BACK)
				block_encoder__chain_break(we->enc);
			/* (cannot fail: the levels were tried at the start) */
			block_encoder__fast_level(we->enc, m.faster ? BLOCK_FASTER_ZSTD_LEVEL :
								      BLOCK_FAST_ZSTD_LEVEL);
			block_encoder__fast(we->enc, m.fast);
			enc_err = block_encoder__encode(we->enc, m.buf, &out, &len, &meta);
			enc_ns = now_mono_ns() - taken_ns;
			__atomic_add_fetch(&p->nblocks, 1, __ATOMIC_RELAXED);
			if (m.fast)
				__atomic_add_fetch(&p->nfast, 1, __ATOMIC_RELAXED);
			if (m.faster)
				__atomic_add_fetch(&p->nfaster, 1, __ATOMIC_RELAXED);
		}

		turn_ns = taken_ns ? now_mono_ns() : 0;
		pthread_mutex_lock(&p->lock);
		while (p->turn != ticket)
			pthread_cond_wait(&p->turn_changed, &p->lock);
		pthread_mutex_unlock(&p->lock);
		if (taken_ns)
			turn_ns = now_mono_ns() - turn_ns;

		rc = apply(p, &m, we ? we->enc : NULL, enc_err, out, len, &meta);
		set_error(p, rc);

		pthread_mutex_lock(&p->lock);
		if (we) {
			/* A fast block ended its chain, a failed one too. */
			if (encoded)
				we->chain_seq = m.fast || enc_err || rc ? 0 : seq;
			we->busy = false;
		}
		if (encoded && !m.fast && !enc_err && !rc)
			note_block_ns_locked(p, enc_ns, turn_ns, now_mono_ns() - taken_ns, raw_bytes);
		if (m.kind == MSG_BLOCK) {
			blockbuf__reset(m.buf);
			p->free[p->nfree++] = m.buf;
			pthread_cond_signal(&p->to_drain);
		}
		if (m.kind == MSG_STOP) {
			p->stopped = true;
			pthread_cond_broadcast(&p->to_writer);
		}
		p->turn++;
		pthread_cond_broadcast(&p->turn_changed);
		pthread_mutex_unlock(&p->lock);
		if (m.kind == MSG_STOP)
			return NULL;
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
	/* One buffer being filled and one being encoded by each worker: the
	 * kernel's ring, not this pool, is what absorbs bursts. */
	if (!p->o.block_bytes)
		p->o.block_bytes = CAP_BLOCK_DEFAULT_BYTES;
	if (!p->o.nworkers)
		p->o.nworkers = 2;
	if (p->o.nworkers > PIPELINE_MAX_WORKERS)
		p->o.nworkers = PIPELINE_MAX_WORKERS;
	if (!p->o.nbufs)
		p->o.nbufs = p->o.nworkers + 1;
	if (!p->o.flush_ns)
		p->o.flush_ns = 1000000000ull;
	p->qcap = p->o.nbufs * 4 + 64;
	p->q = calloc(p->qcap, sizeof(*p->q));
	/* (room for every buffer, spares lent included) */
	p->free = calloc(p->o.nbufs + p->o.spare_bufs, sizeof(*p->free));
	p->spare = calloc(p->o.spare_bufs + 1, sizeof(*p->spare));
	if (!p->q || !p->free || !p->spare)
		goto fail;
	for (i = 0; i < p->o.nbufs; i++) {
		p->free[i] = blockbuf__new(p->o.block_bytes);
		if (!p->free[i])
			goto fail;
		p->nfree++;
	}
	/* (allocated now, their pages touched only when lent) */
	for (i = 0; i < p->o.spare_bufs; i++) {
		p->spare[i] = blockbuf__new(p->o.block_bytes);
		if (!p->spare[i])
			goto fail;
		p->nspare++;
	}
	p->cur = p->free[--p->nfree];
	for (i = 0; i < p->o.nworkers; i++) {
		struct block_encoder *enc = block_encoder__new(p->o.zstd_level);

		p->workers[i].p = p;
		p->encs[i].enc = enc;
		if (enc)
			block_encoder__chain(enc, p->o.chain_blocks);
		if (!enc || block_encoder__fast(enc, true) ||
		    block_encoder__fast_level(enc, BLOCK_FASTER_ZSTD_LEVEL) ||
		    block_encoder__fast_level(enc, BLOCK_FAST_ZSTD_LEVEL) ||
		    block_encoder__fast(enc, false))
			goto fail;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->to_writer, NULL);
	pthread_cond_init(&p->to_drain, NULL);
	pthread_cond_init(&p->turn_changed, NULL);
	for (i = 0; i < p->o.nworkers; i++) {
		int rc = pthread_create(&p->workers[i].thread, NULL, worker_main, &p->workers[i]);

		if (rc) {
			warn_msg("writer thread: %s", strerror(rc));
			goto fail;
		}
		p->nstarted++;
	}
	p->last_flush_ns = now_boot_ns();
	p->fast = p->o.effort == PIPELINE_FAST;
	p->calm_need = CALM_HANDOVERS;
	p->since_compact = UINT32_MAX;
	return p;
fail:
	pipeline__free(p);
	errno = ENOMEM;
	return NULL;
}

/* PIPELINE_ADAPT, lock held, at a hand-over: whether the writers are
 * behind, from the kernel's buffers and the block buffers left free. */
static void adapt_locked(struct pipeline *p)
{
	bool starved, backlog;

	if (p->o.effort != PIPELINE_ADAPT)
		return;
	/* no free buffer: the wait begun is a backlog if the writers are
	 * near their limit or the kernel's buffers cannot take several such
	 * waits (STARVED_HEADROOM_BLOCKS) */
	starved = !p->nfree &&
		  (p->fast || !p->block_ns || !p->arrive_ns || !p->headroom_ns ||
		   p->work_ns * STARVED_BEHIND_DEN > p->arrive_ns * STARVED_BEHIND_NUM ||
		   p->headroom_ns / STARVED_HEADROOM_BLOCKS < p->block_ns);
	backlog = p->fill_pm >= FAST_FILL_PM || starved;
	p->faster = p->fill_pm >= FASTER_FILL_PM;
	if (!p->fast && p->since_compact < UINT32_MAX && ++p->since_compact >= RELAPSE_HANDOVERS) {
		p->since_compact = UINT32_MAX;   /* compact held: no relapse */
		p->calm_need = CALM_HANDOVERS;
	}
	if (backlog && !p->fast && p->since_compact < UINT32_MAX)
		p->calm_need = p->calm_need * 2 > CALM_MAX_HANDOVERS ? CALM_MAX_HANDOVERS :
				p->calm_need * 2;
	if (backlog || p->fill_pm >= CALM_FILL_PM) {
		p->fast |= backlog;
		p->calm = 0;
	} else if (p->fast && ++p->calm >= p->calm_need) {
		p->fast = false;
		p->since_compact = 0;
	}
}

/* Lock held, no free buffer: whether a spare is lent instead of a wait
 * (SPARE_HEADROOM_WAITS). */
static bool spare_lent_locked(struct pipeline *p, uint64_t now)
{
	uint64_t wait = p->block_ns ? p->block_ns : SPARE_UNKNOWN_NS;

	if (!p->nspare)
		return false;
	/* (headroom 0: not known, or a buffer full) */
	if (p->fill_pm >= SPARE_FILL_PM || !p->headroom_ns ||
	    p->headroom_ns >= SPARE_HEADROOM_MAX_NS ||
	    p->headroom_ns / SPARE_HEADROOM_WAITS >= wait)
		return false;
	p->free[p->nfree++] = p->spare[--p->nspare];
	p->nlent++;
	p->spare_need_ns = now;
	__atomic_add_fetch(&p->spares_taken, 1, __ATOMIC_RELAXED);
	return true;
}

/* Lock held: a free buffer to give back as a spare, once SPARE_KEEP_NS
 * passed without one needed and another stays free; NULL if none. */
static struct blockbuf *spare_back_locked(struct pipeline *p, uint64_t now)
{
	if (!p->nlent || !p->nfree || now - p->spare_need_ns < SPARE_KEEP_NS)
		return NULL;
	p->nlent--;
	return p->free[--p->nfree];
}

/* A spare back: its memory released outside the lock (a buffer's pages:
 * not the drain's wait). */
static void spare_back(struct pipeline *p, struct blockbuf *b)
{
	if (!b)
		return;
	blockbuf__release(b);
	pthread_mutex_lock(&p->lock);
	p->spare[p->nspare++] = b;
	pthread_mutex_unlock(&p->lock);
}

/* Sends cur to the writer and takes a free buffer, or a spare, or waits if
 * none is free (a wait counted as a stall unless the recording is ending). */
static void hand_over(struct pipeline *p, bool count_stall)
{
	struct msg m = { .kind = MSG_BLOCK, .buf = p->cur };
	uint64_t t0 = 0, now = now_mono_ns();
	size_t bytes = blockbuf__bytes(p->cur);
	struct blockbuf *back;

	/* The time a full block's events take to come (arrive_ns), from the
	 * time this one took to fill since the last hand-over ended: a wait
	 * for the writers is not counted (the events come on meanwhile, into
	 * the kernel's buffers, and a block then fills faster than they come:
	 * the writers seem more behind, never less). */
	if (p->last_handover_ns && bytes && bytes >= p->o.block_bytes / BLOCK_NS_MIN_FILL) {
		uint64_t full = (now - p->last_handover_ns) * p->o.block_bytes / bytes;

		p->arrive_ns = p->arrive_ns ? p->arrive_ns - (p->arrive_ns >> BLOCK_NS_SHIFT) +
					      (full >> BLOCK_NS_SHIFT) : full;
	}
	pthread_mutex_lock(&p->lock);
	adapt_locked(p);
	m.fast = p->fast;
	m.faster = p->faster;
	push_locked(p, &m);
	if (!p->nfree)
		spare_lent_locked(p, now);
	if (!p->nfree && count_stall) {
		t0 = now_mono_ns();   /* before the count: whoever sees it, sees the wait begun */
		__atomic_add_fetch(&p->stalls, 1, __ATOMIC_RELEASE);
	}
	if (!p->nfree) {
		while (!p->nfree)
			pthread_cond_wait(&p->to_drain, &p->lock);
		now = now_mono_ns();
	}
	if (t0)
		__atomic_add_fetch(&p->stall_ns, now - t0, __ATOMIC_RELAXED);
	p->cur = p->free[--p->nfree];
	p->last_handover_ns = now;
	back = spare_back_locked(p, now);
	pthread_mutex_unlock(&p->lock);
	spare_back(p, back);
}

int pipeline__append(struct pipeline *p, uint32_t stream, uint32_t cpu, uint64_t ts_ns,
		     const void *data, uint32_t len)
{
	int err = blockbuf__add(p->cur, stream, cpu, ts_ns, data, len);

	if (err == -ENOSPC) {
		hand_over(p, true);
		err = blockbuf__add(p->cur, stream, cpu, ts_ns, data, len);
	}
	if (err)
		return err;
	return pipeline__error(p);
}

int pipeline__append_run(struct pipeline *p, uint32_t stream, uint32_t cpu,
			 const struct blockbuf_rec *recs, uint32_t n, const struct blockbuf_ts *t)
{
	while (n) {
		int k = blockbuf__add_run(p->cur, stream, cpu, recs, n, t);

		if (k < 0)
			return k;
		if (!k && !blockbuf__count(p->cur))
			return -ENOSPC;   /* cannot happen: an empty block takes any record that fits */
		recs += k;
		n -= (uint32_t)k;
		if (n)
			hand_over(p, true);
	}
	return pipeline__error(p);
}

int pipeline__loss(struct pipeline *p, uint32_t stream, uint32_t cpu, uint64_t ts_ns,
		   uint64_t count)
{
	struct msg m = { .kind = MSG_LOSS, .stream = stream, .cpu = cpu,
			 .ts_ns = ts_ns, .count = count };

	push(p, &m);
	return pipeline__error(p);
}

void pipeline__tick(struct pipeline *p, uint64_t now_ns)
{
	struct msg m = { .kind = MSG_FLUSH };

	if (now_ns - p->last_flush_ns < p->o.flush_ns)
		return;
	if (blockbuf__count(p->cur))
		hand_over(p, true);
	push(p, &m);
	p->last_flush_ns = now_ns;
}

void pipeline__snapshot(struct pipeline *p)
{
	struct msg m = { .kind = MSG_SNAPSHOT };

	if (blockbuf__count(p->cur))
		hand_over(p, true);
	push(p, &m);
}

void pipeline__call(struct pipeline *p, int (*fn)(void *ctx, struct capw *w), void *ctx)
{
	struct msg m = { .kind = MSG_CALL, .fn = fn, .ctx = ctx };

	push(p, &m);
}

void pipeline__backlog(struct pipeline *p, uint32_t fill_permille)
{
	p->fill_pm = fill_permille;   /* read by the drain thread alone */
}

void pipeline__headroom(struct pipeline *p, uint64_t ns)
{
	p->headroom_ns = ns;   /* read by the drain thread alone */
}

void pipeline__blocks(const struct pipeline *p, uint64_t *blocks, uint64_t *fast)
{
	*blocks = __atomic_load_n(&p->nblocks, __ATOMIC_RELAXED);
	*fast = __atomic_load_n(&p->nfast, __ATOMIC_RELAXED);
}

uint64_t pipeline__spares_taken(const struct pipeline *p)
{
	return __atomic_load_n(&p->spares_taken, __ATOMIC_RELAXED);
}

uint64_t pipeline__blocks_faster(const struct pipeline *p)
{
	return __atomic_load_n(&p->nfaster, __ATOMIC_RELAXED);
}

void pipeline__stalls(const struct pipeline *p, uint64_t *stalls, uint64_t *wait_ns)
{
	*stalls = __atomic_load_n(&p->stalls, __ATOMIC_RELAXED);
	*wait_ns = __atomic_load_n(&p->stall_ns, __ATOMIC_RELAXED);
}

int pipeline__error(const struct pipeline *p)
{
	return __atomic_load_n(&p->error, __ATOMIC_RELAXED);
}

int pipeline__stop(struct pipeline *p)
{
	struct msg m = { .kind = MSG_STOP };
	uint32_t i;

	if (!p->nstarted)
		return p->error;
	if (blockbuf__count(p->cur))
		hand_over(p, false);
	push(p, &m);
	for (i = 0; i < p->nstarted; i++)
		pthread_join(p->workers[i].thread, NULL);
	p->nstarted = 0;
	return p->error;
}

void pipeline__free(struct pipeline *p)
{
	uint32_t i;

	if (!p)
		return;
	if (p->nstarted)
		pipeline__stop(p);
	for (i = 0; i < PIPELINE_MAX_WORKERS; i++)
		block_encoder__free(p->encs[i].enc);
	for (i = 0; i < p->nfree; i++)
		blockbuf__free(p->free[i]);
	for (i = 0; i < p->nspare; i++)
		blockbuf__free(p->spare[i]);
	free(p->spare);
	blockbuf__free(p->cur);
	free(p->free);
	free(p->q);
	free(p);
}
